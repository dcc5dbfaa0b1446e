package io.ipnslink.filter.pages;

import java.util.Objects;

/**
 * A short answer page of the gateway.
 *
 * @param status HTTP status
 * @param title one line, e.g. "Site not found"
 * @param message a sentence or two for people
 */
public record Page(int status, String title, String message) {
    public Page {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(message, "message");
    }
}
