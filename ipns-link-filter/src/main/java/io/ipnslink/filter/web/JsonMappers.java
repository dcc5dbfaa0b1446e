package io.ipnslink.filter.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * The gateway's Jackson mappers. By default Jackson recycles its buffers through a thread-local
 * (a soft reference to a {@code BufferRecycler} on every thread that ever wrote JSON): on a
 * container's request threads, which outlive a web application, that keeps each undeployed WAR's
 * class loader until the JVM runs short of memory (Jetty and WildFly do not renew their threads
 * after an undeploy as Tomcat does). These mappers recycle through a pool of their own instead,
 * which goes away with the class loader (at most 64 buffer sets kept: beyond, buffers are dropped after use).
 */
public final class JsonMappers {
    private JsonMappers() {}

    /** A JSON mapper whose buffers are pooled by the mapper, not by the calling thread. */
    public static ObjectMapper json() {
        return new ObjectMapper(JsonFactory.builder().recyclerPool(JsonRecyclerPools.newBoundedPool(64)).build());
    }

    /** The same for YAML. */
    public static ObjectMapper yaml() {
        return new ObjectMapper(YAMLFactory.builder().recyclerPool(JsonRecyclerPools.newBoundedPool(64)).build());
    }
}
