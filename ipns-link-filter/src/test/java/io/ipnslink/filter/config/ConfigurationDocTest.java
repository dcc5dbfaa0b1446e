package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md holds exactly the table ConfigKey generates: code and docs cannot drift. */
class ConfigurationDocTest {
    static final String START = "<!-- generated from ConfigKey.markdownTable(); ConfigurationDocTest fails when they differ -->\n";
    static final String END = "<!-- end of generated table -->";

    @Test
    void theDocumentedTableIsTheGeneratedOne() throws IOException {
        Path doc = Path.of("..", "docs", "configuration.md");
        String text = Files.readString(doc);
        int from = text.indexOf(START);
        int to = text.indexOf(END);
        assertTrue(from >= 0 && to > from, "markers missing in " + doc.toAbsolutePath());
        assertEquals(ConfigKey.markdownTable(), text.substring(from + START.length(), to),
                "docs/configuration.md is out of date: paste ConfigKey.markdownTable() between the markers");
    }

    @Test
    void everyKeyHasADefaultAndADescription() {
        for (ConfigKey k : ConfigKey.values()) {
            assertTrue(!k.description().isBlank(), k.key());
            assertEquals(k.key().toLowerCase(), k.key());
        }
    }
}
