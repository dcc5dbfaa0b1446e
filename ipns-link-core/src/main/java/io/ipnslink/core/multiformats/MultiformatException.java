package io.ipnslink.core.multiformats;

/**
 * Thrown for input that is not a valid multiformat value (varint, multibase, multihash, CID,
 * multiaddr). The message says what is wrong in words a user understands.
 */
public class MultiformatException extends IllegalArgumentException {
    public MultiformatException(String message) {
        super(message);
    }

    public MultiformatException(String message, Throwable cause) {
        super(message, cause);
    }
}
