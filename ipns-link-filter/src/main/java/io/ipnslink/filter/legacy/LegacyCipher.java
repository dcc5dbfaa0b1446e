package io.ipnslink.filter.legacy;

import io.ipnslink.core.multiformats.Multibase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPDataValidationException;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPBEDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;

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
                clear = pbe.getDataStream(new BcPBEDataDecryptorFactory(passphrase.toCharArray(),
                        new BcPGPDigestCalculatorProvider()));
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
