package io.ipnslink.routing.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ClientAddressTest {
    @ParameterizedTest
    @CsvSource({
        "192.0.2.1, 192.0.2.1",
        "192.0.2.1:5555, 192.0.2.1",
        "' 192.0.2.1 ', 192.0.2.1",
        "::ffff:192.0.2.1, 192.0.2.1",
        "[::ffff:192.0.2.1]:80, 192.0.2.1",
        "::1, 0000000000000000::/64",
        "0:0:0:0:0:0:0:1, 0000000000000000::/64",
        "[::1]:8080, 0000000000000000::/64",
        "2001:db8:1:2::1, 20010db800010002::/64",
        "2001:DB8:1:2:ffff:ffff:ffff:ffff, 20010db800010002::/64",
        "fe80::1%eth0, fe80000000000000::/64",
        "[fe80::1%25eth0]:443, fe80000000000000::/64",
    })
    void ipLiteralsAreKeyedByAddressOrSlash64(String remote, String key) {
        assertEquals(key, ClientAddress.key(remote));
    }

    @ParameterizedTest
    @ValueSource(strings = {"unknown", "example.invalid", "256.1.1.1", "1.2.3", ".:", "1:2:3:4:5:6:7:8:9", "g::1"})
    void otherTextIsItsOwnKeyAndNeverLookedUp(String remote) {
        String key = ClientAddress.key(remote);
        assertTrue(key.startsWith("other:"), key);
    }

    @Test
    void otherKeysAreCutShort() {
        String key = ClientAddress.key("x".repeat(10_000));
        assertEquals("other:".length() + ClientAddress.MAX_OTHER_KEY_CHARS, key.length());
        assertNotEquals(ClientAddress.key("a"), ClientAddress.key("b"));
        assertEquals("?", ClientAddress.key(null));
        assertEquals("?", ClientAddress.key(""));
    }
}
