package io.ipnslink.samples.webapp;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;

/** HTML escaping and the intranet's page frame. */
final class Html {
    private Html() {}

    /** Escapes text for HTML element content and quoted attribute values. */
    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Writes a complete page: {@code status}, the shared header and navigation, then {@code body}
     * (already HTML). Links are relative to the context path so the app can be deployed anywhere.
     */
    static void page(HttpServletRequest req, HttpServletResponse resp, int status, String title, String body)
            throws IOException {
        String ctx = escape(req.getContextPath());
        resp.setStatus(status);
        resp.setContentType("text/html;charset=UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        PrintWriter w = resp.getWriter();
        w.print("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
        w.print(escape(title));
        w.print(" - Example Corp intranet</title>\n<link rel=\"stylesheet\" href=\"");
        w.print(ctx);
        w.print("/css/intranet.css\">\n</head>\n<body>\n<header><a class=\"brand\" href=\"");
        w.print(ctx);
        w.print("/\">Example Corp intranet</a>\n<nav><a href=\"");
        w.print(ctx);
        w.print("/hello\">Hello</a> <a href=\"");
        w.print(ctx);
        w.print("/api/time\">Server time (JSON)</a></nav></header>\n<main>\n<h1>");
        w.print(escape(title));
        w.print("</h1>\n");
        w.print(body);
        w.print("\n</main>\n</body>\n</html>\n");
    }
}
