package io.ipnslink.filter.legacy;

import io.ipnslink.core.multiformats.Multibase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.bouncycastle.bcpg.BCPGInputStream;
import org.bouncycastle.bcpg.PacketTags;
import org.bouncycastle.bcpg.S2K;
import org.bouncycastle.bcpg.SymmetricKeyEncSessionPacket;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPDataValidationException;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEDataDecryptorFactoryBuilder;

/**
 * Decrypts the manifest of a legacy v1 page: multibase text ({@code m} + unpadded base64, as
 * {@code ipfs multibase encode -b base64} wrote it) of a binary OpenPGP message that
 * {@code gpg -c} made with a passphrase (gpg 2.2: SKESK v4 with iterated and salted S2K, SEIPD v1
 * with MDC, ZIP compression, a literal packet), read with BouncyCastle's OpenPGP library.
 *
 * <p>Bounded: the decrypted (and decompressed) data is read up to {@link #MAX_PLAINTEXT_BYTES}
 * only, so a compression bomb costs at most that much memory; one level of compression is
 * accepted; the message must be integrity protected (MDC), as gpg 2.2 itself required. The S2K
 * iteration count is at most 65011712 bytes hashed (the largest the one-byte encoding allows), a
 * fixed worst case per page.
 */
public final class LegacyCipher {
    /** The passphrase of every public legacy site (any other makes a "private" site). */
    public static final String PASSPHRASE = "ipns-link";
    /** Largest manifest accepted after decryption and decompression. */
    public static final int MAX_PLAINTEXT_BYTES = 16 * 1024;
    /** Session key packets accepted before the encrypted data. */
    static final int MAX_SESSION_PACKETS = 8;

    private LegacyCipher() {}

    /** The plaintext of a page's encrypted manifest line, with the public passphrase. */
    public static byte[] decrypt(String multibaseText) {
        return decrypt(multibaseText, PASSPHRASE);
    }

    /** The plaintext with {@code passphrase}. */
    public static byte[] decrypt(String multibaseText, String passphrase) {
        if (multibaseText.length() > LegacyPage.MAX_CIPHERTEXT_CHARS) {
            throw new LegacyException("the encrypted manifest is above " + LegacyPage.MAX_CIPHERTEXT_CHARS + " characters");
        }
        byte[] binary;
        try {
            binary = Multibase.decode(multibaseText);
        } catch (RuntimeException e) {
            throw new LegacyException("the encrypted manifest is not multibase text: " + e.getMessage(), e);
        }
        return decryptBinary(binary, passphrase);
    }

    /** The plaintext of a binary OpenPGP message. */
    public static byte[] decryptBinary(byte[] message, String passphrase) {
        try {
            PGPPBEEncryptedData pbe = passphraseEncrypted(message);
            if (!pbe.isIntegrityProtected()) {
                throw new LegacyException("the encrypted manifest has no integrity protection (MDC)");
            }
            InputStream clear;
            try {
                // the JDK's SHA-1 and AES (CPU intrinsics): the S2K's 64 MiB hash takes a fraction of BC's own
                clear = pbe.getDataStream(new JcePBEDataDecryptorFactoryBuilder(
                        new JcaPGPDigestCalculatorProviderBuilder().build()).build(passphrase.toCharArray()));
            } catch (PGPDataValidationException e) {
                throw new LegacyException("the manifest does not decrypt with the passphrase \"" + PASSPHRASE
                        + "\" (a private site, or a corrupt page)", e);
            }
            byte[] plain = literal(new BcPGPObjectFactory(clear).nextObject(), true);
            if (!pbe.verify()) {
                throw new LegacyException("the encrypted manifest fails its integrity check (MDC)");
            }
            return plain;
        } catch (LegacyException e) {
            throw e;
        } catch (PGPException | IOException | RuntimeException e) {
            // BouncyCastle on hostile bytes: any failure of its parser is a broken message
            throw new LegacyException("the encrypted manifest is not a valid OpenPGP message: " + e.getMessage(), e);
        }
    }

    private static PGPPBEEncryptedData passphraseEncrypted(byte[] message) throws IOException {
        checkSessionPackets(message);
        BcPGPObjectFactory f = new BcPGPObjectFactory(message);
        Object o = f.nextObject();
        while (o instanceof PGPMarker) {
            o = f.nextObject();
        }
        if (!(o instanceof PGPEncryptedDataList list)) {
            throw new LegacyException("the encrypted manifest is not an OpenPGP encrypted message");
        }
        for (Object d : list) {
            if (d instanceof PGPPBEEncryptedData pbe) {
                return pbe;
            }
        }
        throw new LegacyException("the manifest is encrypted to a key, not with a passphrase (a private site)");
    }

    /**
     * Before BouncyCastle derives any key: the session packets must be what gpg 2.2 wrote (version
     * 4, S2K simple, salted or iterated and salted: at most 64 MiB hashed), at most
     * {@value #MAX_SESSION_PACKETS} of them, followed by encrypted data (not AEAD). An Argon2 S2K
     * (RFC 9580) would let a page ask for gigabytes of memory.
     */
    private static void checkSessionPackets(byte[] message) throws IOException {
        BCPGInputStream in = new BCPGInputStream(new ByteArrayInputStream(message));
        for (int packets = 0; ; packets++) {
            int tag = in.skipMarkerPackets();
            if (tag == PacketTags.SYM_ENC_INTEGRITY_PRO || tag == PacketTags.SYMMETRIC_KEY_ENC) {
                return;
            }
            if (packets >= MAX_SESSION_PACKETS) {
                throw new LegacyException("the encrypted manifest has more than " + MAX_SESSION_PACKETS + " session packets");
            }
            if (tag == PacketTags.SYMMETRIC_KEY_ENC_SESSION) {
                SymmetricKeyEncSessionPacket p = (SymmetricKeyEncSessionPacket) in.readPacket();
                int s2k = p.getS2K() == null ? -1 : p.getS2K().getType();
                if (p.getVersion() != SymmetricKeyEncSessionPacket.VERSION_4
                        || (s2k != S2K.SIMPLE && s2k != S2K.SALTED && s2k != S2K.SALTED_AND_ITERATED)) {
                    throw new LegacyException("the encrypted manifest uses a passphrase packet (version " + p.getVersion()
                            + ", S2K type " + s2k + ") that the original exposer's gpg never wrote");
                }
            } else if (tag == PacketTags.PUBLIC_KEY_ENC_SESSION) {
                in.readPacket();
            } else {
                throw new LegacyException(tag == PacketTags.AEAD_ENC_DATA
                        ? "the encrypted manifest uses AEAD encryption, which the original exposer's gpg never wrote"
                        : "the encrypted manifest is not an OpenPGP encrypted message");
            }
        }
    }

    /** The literal data, through at most one compressed packet, read up to the limit. */
    private static byte[] literal(Object o, boolean mayDecompress) throws PGPException, IOException {
        if (o instanceof PGPCompressedData c && mayDecompress) {
            return literal(new BcPGPObjectFactory(c.getDataStream()).nextObject(), false);
        }
        if (!(o instanceof PGPLiteralData literal)) {
            throw new LegacyException("the decrypted manifest holds no literal data packet"
                    + (o instanceof PGPCompressedData ? " (compressed twice)" : ""));
        }
        return readUpTo(literal.getInputStream(), MAX_PLAINTEXT_BYTES);
    }

    private static byte[] readUpTo(InputStream in, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf, 0, Math.min(buf.length, max + 1 - out.size()))) > 0; ) {
            out.write(buf, 0, n);
            if (out.size() > max) {
                throw new LegacyException("the decrypted manifest is above the " + max + "-byte limit");
            }
        }
        return out.toByteArray();
    }
}
