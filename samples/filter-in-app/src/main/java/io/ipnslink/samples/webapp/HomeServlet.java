package io.ipnslink.samples.webapp;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** The intranet's home page (mapped to the context root only). */
public class HomeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String ctx = Html.escape(req.getContextPath());
        Html.page(req, resp, HttpServletResponse.SC_OK, "Welcome", """
                <p class="lead">News, tools and people of Example Corp.</p>
                <ul class="cards">
                <li><a href="%1$s/hello">Say hello</a>: a form that greets you by name.</li>
                <li><a href="%1$s/api/time">Server time</a>: the clock of this server as JSON.</li>
                </ul>
                <section class="ipns">
                <h2>Team sites on IPNS-Link</h2>
                <p>Teams publish sites running on their own machines under an IPNS name; this intranet
                serves them at <code>%1$s/ipns/{name}/</code>.</p>
                <form method="get" action="%1$s/ipns/">
                <label for="uri">Open</label>
                <input id="uri" name="uri" placeholder="ipns://k51qzi5uqu5d..." size="70" required>
                <button type="submit">Go</button>
                </form>
                </section>""".formatted(ctx));
    }
}
