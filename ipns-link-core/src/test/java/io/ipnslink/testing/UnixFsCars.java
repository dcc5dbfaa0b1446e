package io.ipnslink.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.Car;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DAGs built by the js reference importer ({@code interop/unixfs-car.mjs}, ipfs-unixfs-importer):
 * files and directories imported under one wrapping directory, read back from the CAR it writes.
 */
public final class UnixFsCars {
    private UnixFsCars() {}

    /**
     * An import.
     *
     * @param root the wrapping directory
     * @param cids each imported path (as given to the importer: {@code base/sub/file}) to its CID
     * @param blocks every block, in the CAR's order (each verified by {@link Car.Reader})
     */
    public record Imported(Cid root, Map<String, Cid> cids, List<Block> blocks) {
        /** A store holding every block. */
        public MemoryBlockStore store() {
            MemoryBlockStore s = new MemoryBlockStore(Long.MAX_VALUE / 2);
            blocks.forEach(s::put);
            return s;
        }
    }

    /**
     * Imports {@code paths} with the given options ({@code --profile unixfs-v0-2015},
     * {@code --chunk 1000}, {@code --shard-threshold 1000}; none for the importer's defaults).
     */
    public static Imported importPaths(Path carFile, List<String> options, Path... paths) throws IOException {
        List<String> args = new ArrayList<>(List.of("--out", carFile.toString()));
        args.addAll(options);
        for (Path p : paths) {
            args.add(p.toAbsolutePath().toString());
        }
        JsonNode ev;
        try (NodeScript js = NodeScript.start("unixfs-car.mjs", args)) {
            ev = js.awaitEvent("car", Duration.ofSeconds(90));
        }
        Map<String, Cid> cids = new LinkedHashMap<>();
        for (JsonNode e : ev.path("entries")) {
            cids.put(e.path("path").asText(), Cid.parse(e.path("cid").asText()));
        }
        List<Block> blocks = new ArrayList<>();
        Cid root;
        try (InputStream in = Files.newInputStream(carFile)) {
            Car.Reader r = new Car.Reader(in);
            root = r.roots().get(0);
            for (Block b = r.next(); b != null; b = r.next()) {
                blocks.add(b);
            }
        }
        if (!root.equals(Cid.parse(ev.path("root").asText())) || blocks.size() != ev.path("blocks").asInt()) {
            throw new IllegalStateException("the CAR does not hold what the importer said: " + ev);
        }
        return new Imported(root, cids, blocks);
    }
}
