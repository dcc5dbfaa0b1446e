package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Rfc3339Test {
    @ParameterizedTest
    @CsvSource({
        "2023-01-02T03:04:05Z, 2023-01-02T03:04:05Z",
        "2023-01-02T03:04:05.500Z, 2023-01-02T03:04:05.5Z",
        "2023-01-02T03:04:05.123456789Z, 2023-01-02T03:04:05.123456789Z",
        "2023-01-02T03:04:05.000000100Z, 2023-01-02T03:04:05.0000001Z",
        "2123-04-12T13:36:58.237270Z, 2123-04-12T13:36:58.23727Z",
        "9012-12-31T23:59:59.999999999Z, 9012-12-31T23:59:59.999999999Z",
        "0001-01-01T00:00:00Z, 0001-01-01T00:00:00Z"
    })
    void formatsLikeGoRfc3339NanoInUtcWithTrailingZerosTrimmed(String instant, String expected) {
        assertEquals(expected, Rfc3339.format(Instant.parse(instant)));
        assertEquals(Instant.parse(instant), Rfc3339.parse(expected));
    }

    @ParameterizedTest
    @CsvSource({
        "2123-08-14T12:17:03.694052Z, 2123-08-14T12:17:03.694052Z",
        "2123-04-12T13:36:58.23727Z, 2123-04-12T13:36:58.237270Z",
        "2126-01-31T15:56:12.714899293Z, 2126-01-31T15:56:12.714899293Z",
        "2030-06-01T10:00:00.1Z, 2030-06-01T10:00:00.100Z",
        "2030-06-01T12:00:00+02:00, 2030-06-01T10:00:00Z",
        "2030-06-01T12:00:00.5-01:30, 2030-06-01T13:30:00.500Z",
        "9012-01-01T00:00:00Z, 9012-01-01T00:00:00Z",
        "2024-02-29T00:00:00Z, 2024-02-29T00:00:00Z"
    })
    void parsesAnyFractionLengthAndOffset(String text, String instant) {
        assertEquals(Instant.parse(instant), Rfc3339.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "2023-01-02", "2023-01-02T03:04:05", "2023-01-02 03:04:05Z", "2023-01-02T03:04:05.Z",
        "2023-01-02T03:04:05.1234567890Z", "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2023-01-32T00:00:00Z", "2023-01-01T24:00:00Z", "2023-01-01T00:60:00Z", "2023-01-01T00:00:60Z",
        "2023-01-01T00:00:00+0200", "2023-01-01T00:00:00+25:00", "2023-01-01T00:00:00+02:60",
        " 2023-01-01T00:00:00Z", "2023-01-01T00:00:00Z ", "12023-01-01T00:00:00Z", "+2023-01-01T00:00:00Z",
        "2023-01-01T00:00:00\u0660Z"
    })
    void rejectsWhatIsNotAnRfc3339Timestamp(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rfc3339.parse(text));
        assertEquals(true, e.getMessage().contains(text.isEmpty() ? "\"\"" : text.trim()), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"+10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"})
    void refusesToFormatYearsRfc3339CannotHold(String instant) {
        assertThrows(IllegalArgumentException.class, () -> Rfc3339.format(Instant.parse(instant)));
    }
}
