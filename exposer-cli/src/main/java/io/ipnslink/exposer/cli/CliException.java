package io.ipnslink.exposer.cli;

/** A command failed; the message is printed as is (one line). */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }
}
