package io.ipnslink.filter.denylist;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** RFC 3986 %-decoding of a path (UTF-8; {@code +} stays {@code +}). */
final class PercentDecoding {
    private PercentDecoding() {
    }

    /** The decoded text, or null when a {@code %} is not followed by two hex digits or the bytes are not UTF-8. */
    static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(utf8.length);
        for (int i = 0; i < utf8.length; i++) {
            byte b = utf8[i];
            if (b == '%') {
                if (i + 2 >= utf8.length) {
                    return null;
                }
                int hi = Character.digit(utf8[i + 1], 16);
                int lo = Character.digit(utf8[i + 2], 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.put((byte) (hi << 4 | lo));
                i += 2;
            } else {
                out.put(b);
            }
        }
        out.flip();
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(out);
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
