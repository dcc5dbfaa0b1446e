package io.ipnslink.core.manifest;

/** A manifest that cannot be built or decoded; the message says which field and why. */
public class ManifestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ManifestException(String message) {
        super(message);
    }

    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
