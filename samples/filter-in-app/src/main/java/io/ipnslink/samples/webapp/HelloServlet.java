package io.ipnslink.samples.webapp;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** {@code /hello}: GET shows a form, POST greets the posted name (HTML-escaped). */
public class HelloServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /** Longest name accepted (characters). */
    static final int MAX_NAME = 100;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Html.page(req, resp, HttpServletResponse.SC_OK, "Hello", form(req, ""));
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String name = req.getParameter("name");
        name = name == null ? "" : name.strip();
        if (name.isEmpty()) {
            Html.page(req, resp, HttpServletResponse.SC_BAD_REQUEST, "Hello",
                    "<p class=\"error\">Please enter a name.</p>\n" + form(req, ""));
            return;
        }
        if (name.length() > MAX_NAME) {
            Html.page(req, resp, HttpServletResponse.SC_BAD_REQUEST, "Hello",
                    "<p class=\"error\">That name is longer than " + MAX_NAME + " characters.</p>\n" + form(req, ""));
            return;
        }
        String safe = Html.escape(name);
        Html.page(req, resp, HttpServletResponse.SC_OK, "Hello",
                "<p class=\"greeting\">Hello, " + safe + "!</p>\n" + form(req, safe));
    }

    private static String form(HttpServletRequest req, String escapedValue) {
        return """
                <form method="post" action="%s/hello">
                <label for="name">Your name</label>
                <input id="name" name="name" value="%s" maxlength="%d" required>
                <button type="submit">Say hello</button>
                </form>""".formatted(Html.escape(req.getContextPath()), escapedValue, MAX_NAME);
    }
}
