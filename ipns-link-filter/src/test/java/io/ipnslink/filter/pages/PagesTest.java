package io.ipnslink.filter.pages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The answer pages: finished, consistent, self-contained. */
class PagesTest {
    @Test
    void comingSoonSaysOfflineAndWhenToRetry() {
        String html = Pages.html(new Page(504, "Coming soon",
                "The computer serving this site cannot be reached right now. Please try again in a little while."),
                "gw7", 30);
        assertTrue(html.contains("This site is offline right now"), html);
        assertTrue(html.contains("Try again in 30 seconds"), html);
        assertTrue(html.contains("<meta http-equiv=\"refresh\" content=\"30\">"), html);
        assertTrue(html.contains("cannot be reached right now"), html);
        assertTrue(html.contains("request gw7"));
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("http://") || html.contains("https://"), "no external assets");
    }

    @Test
    void timeoutsWithoutRetryAfterAreNotComingSoon() {
        String html = Pages.html(new Page(504, "Origin timeout", "The site did not answer in time."), "gw1");
        assertFalse(html.contains("offline"), html);
        assertFalse(html.contains("http-equiv=\"refresh\""), html);
        assertTrue(html.contains("<h1>Origin timeout</h1>"), html);
    }

    @Test
    void everyPageSharesTheStyleAndNamesStatusAndHint() {
        for (int status : new int[] {400, 404, 413, 500, 502, 504}) {
            String html = Pages.html(new Page(status, "Title " + status, "Message."), null);
            assertTrue(html.contains("<style>" + Pages.STYLE + "</style>"), html);
            assertTrue(html.contains("<span class=\"badge"), html);
            assertTrue(html.contains(">" + status + " "), html);
            assertTrue(html.startsWith("<!DOCTYPE html>"));
            assertFalse(html.contains("\u00b7 request"), "no request id given");
        }
        assertTrue(Pages.html(new Page(404, "Name not found", "no record"), "gw2").contains("Check the address"));
    }

    @Test
    void documentEscapesTitleAndFooter() {
        String d = Pages.document("a<b", "", "<p>x</p>", "f&g");
        assertTrue(d.contains("<title>a&lt;b</title>") && d.contains("<footer>f&amp;g</footer>"), d);
        assertEquals("504 Coming soon\nm\n", Pages.text(new Page(504, "Coming soon", "m")));
    }
}
