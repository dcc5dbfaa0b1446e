package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.internal.InternalThreadLocalMap;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.crypto.CryptoServicesRegistrar;
import org.junit.jupiter.api.Test;

/** What gateway work leaves on a container thread (nothing) and on Netty's own threads (its state). */
class ContainerThreadsTest {

    /** Netty work on this thread: a pooled buffer (the allocator's thread cache) and a charset decode. */
    private static void nettyWork() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(64);
        b.writeCharSequence("hello", java.nio.charset.StandardCharsets.UTF_8);
        b.toString(java.nio.charset.StandardCharsets.UTF_8);
        b.release();
    }

    @Test
    void aContainerThreadKeepsNoNettyThreadLocals() throws Exception {
        AtomicReference<Object> before = new AtomicReference<>();
        AtomicReference<Object> after = new AtomicReference<>();
        Thread t = new Thread(() -> {
            nettyWork();
            before.set(InternalThreadLocalMap.getIfSet());
            ContainerThreads.leave();
            after.set(InternalThreadLocalMap.getIfSet());
        });
        t.start();
        t.join(10_000);
        assertNotNull(before.get(), "the work left Netty's map on the thread (else this test proves nothing)");
        assertNull(after.get());
    }

    @Test
    void nettysOwnThreadsKeepTheirState() throws Exception {
        AtomicReference<Object> after = new AtomicReference<>();
        Thread t = new FastThreadLocalThread(() -> {
            nettyWork();
            ContainerThreads.leave();
            after.set(InternalThreadLocalMap.getIfSet());
        });
        t.start();
        t.join(10_000);
        assertNotNull(after.get());
    }

    @Test
    void afterStartBouncyCastlesThreadDefaultsAreGoneAndTheGlobalOnesStay() throws Exception {
        AtomicReference<Object> before = new AtomicReference<>();
        AtomicReference<Object> after = new AtomicReference<>();
        AtomicReference<Object> global = new AtomicReference<>();
        Thread t = new Thread(() -> {
            CryptoServicesRegistrar.setThreadProperty(CryptoServicesRegistrar.Property.DSA_DEFAULT_PARAMS,
                    CryptoServicesRegistrar.getSizedProperty(CryptoServicesRegistrar.Property.DSA_DEFAULT_PARAMS));
            before.set(CryptoServicesRegistrar.clearThreadProperty(CryptoServicesRegistrar.Property.DSA_DEFAULT_PARAMS));
            CryptoServicesRegistrar.setThreadProperty(CryptoServicesRegistrar.Property.DSA_DEFAULT_PARAMS,
                    (Object[]) before.get());
            ContainerThreads.leaveAfterStart();
            after.set(CryptoServicesRegistrar.clearThreadProperty(CryptoServicesRegistrar.Property.DSA_DEFAULT_PARAMS));
            global.set(CryptoServicesRegistrar.getSizedProperty(CryptoServicesRegistrar.Property.DSA_DEFAULT_PARAMS));
        });
        t.start();
        t.join(10_000);
        assertNotNull(before.get());
        assertNull(after.get());
        assertNotNull(global.get());
    }
}
