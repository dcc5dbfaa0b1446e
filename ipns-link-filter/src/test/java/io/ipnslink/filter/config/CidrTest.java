package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CidrTest {
    @Test
    void ipv4NetworksMatchTheirAddressesOnly() {
        Cidr c = Cidr.parse("192.168.4.0/22");
        assertTrue(c.contains("192.168.7.255"));
        assertFalse(c.contains("192.168.8.0"));
        assertTrue(Cidr.parse("0.0.0.0/0").contains("8.8.8.8"));
        assertTrue(Cidr.parse("127.0.0.1").contains("127.0.0.1"));
        assertFalse(Cidr.parse("127.0.0.1").contains("127.0.0.2"));
    }

    @Test
    void ipv6AndMappedAddresses() {
        assertTrue(Cidr.parse("fd00::/8").contains("fd12:3456::1"));
        assertFalse(Cidr.parse("fd00::/8").contains("fe80::1"));
        assertTrue(Cidr.parse("10.0.0.0/8").contains("::ffff:10.1.1.1"));
        assertFalse(Cidr.parse("10.0.0.0/8").contains("fd00::1"));
    }

    @Test
    void namesAreNeverLookedUpAndNeverMatch() {
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("localhost"));
        assertFalse(Cidr.parse("0.0.0.0/0").contains("example.com"));
        assertEquals("10.0.0.0/8", Cidr.parse("10.0.0.0/8").toString());
    }
}
