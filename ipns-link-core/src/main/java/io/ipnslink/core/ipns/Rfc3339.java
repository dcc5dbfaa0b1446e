package io.ipnslink.core.ipns;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The IPNS {@code Validity} text: RFC 3339 timestamps as Go writes and reads them
 * ({@code time.RFC3339Nano}, layout {@code 2006-01-02T15:04:05.999999999Z07:00}).
 */
public final class Rfc3339 {
    /** Longest timestamp text accepted (the longest valid form is 35 characters). */
    public static final int MAX_TEXT_LENGTH = 64;

    private static final Pattern FORMAT = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?(Z|([+-])(\\d{2}):(\\d{2}))");
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    private Rfc3339() {}

    /**
     * Go's {@code t.UTC().Format(time.RFC3339Nano)}: UTC, {@code Z}, fraction of up to 9 digits
     * with trailing zeros trimmed and no dot when the fraction is zero.
     *
     * @throws IllegalArgumentException for years outside 0000..9999 (RFC 3339 cannot express them)
     */
    public static String format(Instant t) {
        LocalDateTime dt = LocalDateTime.ofInstant(t, ZoneOffset.UTC);
        if (dt.getYear() < 0 || dt.getYear() > 9999) {
            throw new IllegalArgumentException("time " + t + " has a year outside 0000..9999");
        }
        StringBuilder sb = new StringBuilder(SECONDS.format(dt));
        int nanos = dt.getNano();
        if (nanos != 0) {
            String frac = String.format("%09d", nanos);
            int end = frac.length();
            while (frac.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(frac, 0, end);
        }
        return sb.append('Z').toString();
    }

    /**
     * Parses {@code YYYY-MM-DDTHH:MM:SS[.F{1,9}](Z|+HH:MM|-HH:MM)}, as Go's
     * {@code time.Parse(time.RFC3339Nano, ...)} accepts it.
     *
     * @throws IllegalArgumentException with the reason when the text is not such a timestamp
     */
    public static Instant parse(String text) {
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("timestamp is " + text.length() + " characters long");
        }
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)");
        }
        int nanos = 0;
        if (m.group(7) != null) {
            String frac = m.group(7);
            nanos = Integer.parseInt(frac) * (int) Math.pow(10, 9 - frac.length());
        }
        try {
            LocalDateTime local = LocalDateTime.of(
                    Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)), nanos);
            ZoneOffset offset = ZoneOffset.UTC;
            if (m.group(9) != null) {
                int hours = Integer.parseInt(m.group(10));
                int minutes = Integer.parseInt(m.group(11));
                if (hours > 23 || minutes > 59) {
                    throw new DateTimeException("offset out of range");
                }
                int sign = m.group(9).equals("-") ? -1 : 1;
                offset = ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
            }
            return local.toInstant(offset);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a valid date and time: " + e.getMessage(), e);
        }
    }
}
