package io.ipnslink.filter.proxy;

import io.netty.util.concurrent.FastThreadLocal;
import org.bouncycastle.crypto.CryptoServicesRegistrar;
import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * What the gateway leaves on the servlet container's threads: nothing. Netty keeps per-thread state
 * (the pooled allocator's thread cache, recyclers, temporary arrays) in an
 * {@code InternalThreadLocalMap}, on a thread that is not Netty's own in a plain {@code ThreadLocal}.
 * On a container thread that value, of a class from the web application, would outlive an undeploy
 * (Tomcat logs it as a probable memory leak, and the thread pins the application's class loader
 * until the container renews it). So whatever work of ours ran on a container thread (the filter,
 * the write and read listeners, the async listeners) ends with {@link #leave()}.
 */
public final class ContainerThreads {
    private ContainerThreads() {}

    /**
     * Removes Netty's thread-local state from the current thread unless it is a Netty thread (an
     * event loop keeps its state for its whole life). Cheap when there is none.
     */
    public static void leave() {
        if (!(Thread.currentThread() instanceof FastThreadLocalThread)) {
            FastThreadLocal.removeAll();
        }
    }

    /**
     * {@link #leave()}, and after the gateway started (or closed) on a container thread: Bouncy
     * Castle's {@code CryptoServicesRegistrar} puts its default DSA and DH parameters into a
     * thread-local of the thread that initialises it (instances of its classes in a map, which
     * Tomcat does not report but which pins the class loader all the same). It is initialised here
     * at the latest, on this thread, and the thread's copies are removed; the global ones stay.
     */
    public static void leaveAfterStart() {
        leave();
        CryptoServicesRegistrar.clearThreadProperty(CryptoServicesRegistrar.Property.DSA_DEFAULT_PARAMS);
        CryptoServicesRegistrar.clearThreadProperty(CryptoServicesRegistrar.Property.DH_DEFAULT_PARAMS);
    }
}
