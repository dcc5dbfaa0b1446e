package io.ipnslink.natit.lab;

import java.io.IOException;

/**
 * A home network {@code 100.64.K.0/24} behind its own NAT router ({@link Lab#home}).
 */
public final class Home {
    private final Lab lab;
    private final String name;
    private final int index;
    private final Node router;
    private final String lanPrefix;
    private int hosts;

    Home(Lab lab, String name, int index, Node router, String lanPrefix) {
        this.lab = lab;
        this.name = name;
        this.index = index;
        this.router = router;
        this.lanPrefix = lanPrefix;
    }

    /** A new host on this home network: {@code 100.64.K.2}, then {@code .3}... */
    public Node host(String hostName) throws IOException, InterruptedException {
        int number;
        synchronized (this) {
            number = 2 + hosts++;
        }
        return lab.homeHost(this, hostName, number);
    }

    /** The router; {@link Node#address()} is its public address {@code 198.18.0.(200+K)}. */
    public Node router() {
        return router;
    }

    /** {@code 100.64.K}. */
    public String lanPrefix() {
        return lanPrefix;
    }

    public String name() {
        return name;
    }

    public int index() {
        return index;
    }
}
