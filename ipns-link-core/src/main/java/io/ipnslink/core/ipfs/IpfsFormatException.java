package io.ipnslink.core.ipfs;

/** A block, dag-pb node, UnixFS node or CAR stream that is malformed, over a limit or fails its hash. */
public final class IpfsFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IpfsFormatException(String message) {
        super(message);
    }

    public IpfsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
