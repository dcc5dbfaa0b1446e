package io.ipnslink.p2p.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Buffer bookkeeping for the fuzz targets: an allocator that remembers every buffer it handed out,
 * the inputs fed to a channel, and the check that all of them were released (a leak fails the
 * input at once, not at some later garbage collection). Also cuts an input at points chosen by
 * the input itself. One instance per fuzz input; not thread-safe (EmbeddedChannel runs on the caller).
 */
public final class FuzzBuffers extends AbstractByteBufAllocator {
    static {
        // Belt and braces in ./mvnw verify: Netty's own detector also reports what slips past the
        // refCnt checks. Not while fuzzing: it records a stack trace per buffer access (10x slower),
        // and the refCnt checks below already fail the very input that leaks.
        if (System.getenv("JAZZER_FUZZ") == null || System.getenv("JAZZER_FUZZ").isEmpty()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
    }

    private final List<ByteBuf> tracked = new ArrayList<>();

    public FuzzBuffers() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf b = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        tracked.add(b);
        return b;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    /** A tracked copy of {@code bytes[from, to)}. */
    public ByteBuf input(byte[] bytes, int from, int to) {
        ByteBuf b = Unpooled.copiedBuffer(bytes, from, to - from);
        tracked.add(b);
        return b;
    }

    /** A channel whose handlers allocate from this tracker. */
    public EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(this);
        return ch;
    }

    /**
     * Feeds {@code bytes[from, to)} to {@code ch} in chunks whose sizes come from {@code seed} (1 to 64
     * bytes, sometimes everything at once), as TCP might deliver it; stops early when the channel closed.
     */
    public void feed(EmbeddedChannel ch, byte[] bytes, int from, int to, int seed) {
        Random cuts = new Random(seed);
        int pos = from;
        while (pos < to && ch.isOpen()) {
            int n = cuts.nextInt(8) == 0 ? to - pos : Math.min(to - pos, 1 + cuts.nextInt(64));
            ch.writeInbound(input(bytes, pos, pos + n));
            pos += n;
        }
    }

    /** Closes {@code ch}, releases what it holds, then asserts every buffer seen was released. */
    public void finishAndCheck(EmbeddedChannel ch) {
        ch.finishAndReleaseAll();
        assertAllReleased();
    }

    public void assertAllReleased() {
        for (int i = 0; i < tracked.size(); i++) {
            ByteBuf b = tracked.get(i);
            int index = i;
            assertEquals(0, b.refCnt(), () -> "buffer " + index + " of " + tracked.size() + " not released: " + b);
        }
    }
}
