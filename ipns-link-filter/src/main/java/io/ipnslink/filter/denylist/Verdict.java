package io.ipnslink.filter.denylist;

/**
 * What the denylists say about one request: the last matching rule of the list that decided, or
 * nothing.
 *
 * @param status BLOCKED or ALLOWED (a {@code !} rule), or NONE when no rule matched
 * @param list the list whose rule decided, or null for NONE
 * @param line the rule's line number in that list (1-based), or 0 for NONE
 */
public record Verdict(Status status, Denylist list, long line) {
    /** Whether a rule matched and which kind. */
    public enum Status {
        NONE, BLOCKED, ALLOWED
    }

    /** No rule matched. */
    public static final Verdict NONE = new Verdict(Status.NONE, null, 0);

    public boolean blocked() {
        return status == Status.BLOCKED;
    }
}
