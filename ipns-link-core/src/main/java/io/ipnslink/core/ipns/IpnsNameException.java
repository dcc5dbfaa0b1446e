package io.ipnslink.core.ipns;

/** Text that is not an IPNS name (a key-based name: peer id or libp2p-key CID); the message says why. */
public class IpnsNameException extends IllegalArgumentException {
    public IpnsNameException(String message) {
        super(message);
    }

    public IpnsNameException(String message, Throwable cause) {
        super(message, cause);
    }
}
