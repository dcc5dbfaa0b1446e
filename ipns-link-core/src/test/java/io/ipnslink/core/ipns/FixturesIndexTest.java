package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The fixture index that other modules rely on names exactly the record files of the folder. */
class FixturesIndexTest {
    @Test
    void indexNamesEveryRecordFileOfTheFolderAndNothingElse() throws IOException, URISyntaxException {
        // In this module's own tests the resources are a directory, so the folder can be listed here.
        Path folder = Path.of(Fixtures.folderUrl().toURI()).getParent();
        List<String> onDisk;
        try (Stream<Path> files = Files.list(folder)) {
            onDisk = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ipns-record")).sorted().toList();
        }
        assertEquals(16, onDisk.size(), "record files in " + folder);
        assertEquals(onDisk, Fixtures.indexedNames());
    }

    @Test
    void theReadmeSaysWhereTheRecordsComeFromAndUnderWhichLicence() throws IOException, URISyntaxException {
        Path readme = Path.of(Fixtures.folderUrl().toURI()).resolveSibling("README.md");
        String text = Files.readString(readme);
        assertTrue(text.contains("gateway-conformance"), "origin named");
        assertTrue(text.contains("MIT") && text.contains("Apache License 2.0"), "licence named");
    }
}
