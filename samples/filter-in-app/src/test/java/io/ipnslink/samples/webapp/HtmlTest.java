package io.ipnslink.samples.webapp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class HtmlTest {
    @Test
    void escapesTheFiveHtmlSpecialCharacters() {
        assertEquals("&lt;a href=&quot;x&quot; title=&#39;t&#39;&gt;Tom &amp; Zoë&lt;/a&gt;",
                Html.escape("<a href=\"x\" title='t'>Tom & Zoë</a>"));
        assertEquals("plain", Html.escape("plain"));
        assertEquals("", Html.escape(""));
    }

    @Test
    void timeJsonHasTheInstantAndItsEpochMillis() {
        assertEquals("{\"time\":\"2026-01-02T03:04:05.678Z\",\"epochMillis\":1767323045678,\"zone\":\"UTC\"}",
                TimeServlet.json(Instant.parse("2026-01-02T03:04:05.678Z")));
    }
}
