package io.ipnslink.core.multiformats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class MultibaseTest {

    @ParameterizedTest
    @EnumSource(Multibase.Base.class)
    void everyBaseRoundTripsRandomDataOfEveryLengthUpTo40(Multibase.Base base) {
        Random r = new Random(base.ordinal());
        for (int len = 0; len <= 40; len++) {
            byte[] data = new byte[len];
            r.nextBytes(data);
            if (len > 2) {
                data[0] = 0; // leading zeros matter for base36/base58
            }
            String text = Multibase.encode(base, data);
            assertEquals(base.prefix(), text.charAt(0));
            assertArrayEquals(data, Multibase.decode(text), base + " len " + len);
        }
    }

    @Test
    void encodingCaseFollowsThePrefix() {
        byte[] data = {(byte) 0xAB, (byte) 0xCD, 0x7F};
        assertEquals("fabcd7f", Multibase.encode(Multibase.Base.BASE16, data));
        assertEquals("FABCD7F", Multibase.encode(Multibase.Base.BASE16_UPPER, data));
        assertEquals("bvpgx6", Multibase.encode(Multibase.Base.BASE32, data));
        assertEquals("BVPGX6", Multibase.encode(Multibase.Base.BASE32_UPPER, data));
    }

    @Test
    void emptyDataEncodesToThePrefixAlone() {
        for (Multibase.Base b : Multibase.Base.values()) {
            assertEquals(String.valueOf(b.prefix()), Multibase.encode(b, new byte[0]));
            assertArrayEquals(new byte[0], Multibase.decode(String.valueOf(b.prefix())));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''              | empty multibase string",
        "x123            | unknown multibase prefix 'x'",
        "fzz             | invalid base16 character 'z' at index 0",
        "fabc            | odd number of digits",
        "b1ab            | invalid base32 character '1' at index 0",
        "babababa=       | must not contain '='",
        "ba              | impossible length",
        "kab-            | invalid base36 character '-' at index 2",
        "z0OIl           | invalid base58btc character '0' at index 0",
        "zabcI           | invalid base58btc character 'I' at index 3",
        "meWVz+G1hbmkgIQ= | must not contain '='",
        "meWV_IG1hbmkgIQ | invalid base64 character '_' at index 3",
        "ueWV+IG1hbmkgIQ | invalid base64url character '+' at index 3",
        "MeWVzIG1hbmkgIQ | not a multiple of 4",
        "MeWVzIG1hbmk=IQ== | wrong place",
        "Ma=bc           | wrong place",
        "Ma===           | wrong place",
        "mA              | impossible length"
    })
    void badTextGivesAClearMessage(String text, String expected) {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multibase.decode(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void nonAsciiCharacterIsNamedByCodePoint() {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multibase.decode("z1\u00e9"));
        assertTrue(e.getMessage().contains("U+00E9"), e.getMessage());
        assertThrows(MultiformatException.class, () -> Multibase.decode("f\uff11\uff11")); // fullwidth digits
    }

    @Test
    void tooLongBigNumberTextIsRefusedBeforeQuadraticWork() {
        String longText = "z" + "2".repeat(Multibase.MAX_BIG_NUMBER_CHARS + 1);
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multibase.decode(longText));
        assertTrue(e.getMessage().contains("too long"), e.getMessage());
        String tooLong = "f" + "0".repeat(Multibase.MAX_TEXT_CHARS + 2);
        assertThrows(MultiformatException.class, () -> Multibase.decode(tooLong));
    }

    @Test
    void bareBase58HelpersMatchTheBitcoinAlphabet() {
        assertEquals("StV1DL6CwTryKyV", Multibase.encodeBase58("hello world".getBytes()));
        assertArrayEquals(new byte[] {0, 0, 1}, Multibase.decodeBase58("112"));
    }

    @Test
    void garbageTextNeverFailsWithAnythingButMultiformatException() {
        Random r = new Random(3);
        String chars = "fFbBkKzmMuU0123456789abcdefxyzABXYZ+/-_=!\u00e9 ";
        for (int i = 0; i < 5000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(20);
            for (int j = 0; j < len; j++) {
                sb.append(chars.charAt(r.nextInt(chars.length())));
            }
            String s = sb.toString();
            try {
                byte[] out = Multibase.decode(s);
                // decoded: encoding back in the same base decodes to the same bytes
                assertArrayEquals(out, Multibase.decode(Multibase.encode(Multibase.baseOf(s), out)));
            } catch (MultiformatException expected) {
                assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
            }
        }
    }
}
