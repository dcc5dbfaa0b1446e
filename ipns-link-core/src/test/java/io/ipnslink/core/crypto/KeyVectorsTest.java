package io.ipnslink.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Multihash;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAPrivateCrtKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.RSADigestSigner;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The four key types of the libp2p peer-ids spec vectors, with signatures cross-checked against other signers. */
class KeyVectorsTest {
    private static final byte[] MESSAGE = "libp2p key vectors".getBytes(StandardCharsets.UTF_8);
    /** A BouncyCastle JCA provider instance used directly, never registered globally. */
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    @ParameterizedTest
    @ValueSource(strings = {"ed25519", "secp256k1", "ecdsa", "rsa"})
    void privateKeyVectorDerivesThePublicKeyVectorAndRoundTrips(String type) {
        byte[] privPb = Vectors.hex(type + ".private");
        byte[] pubPb = Vectors.hex(type + ".public");
        PrivKey priv = PrivKey.unmarshal(privPb);
        PubKey pub = PubKey.unmarshal(pubPb);
        assertEquals(pub, priv.publicKey());
        assertArrayEquals(pubPb, pub.marshal());
        assertArrayEquals(pubPb, priv.publicKey().marshal());
        assertArrayEquals(privPb, priv.marshal());
        assertEquals(priv, PrivKey.unmarshal(priv.marshal()));
        assertTrue(pub.verify(MESSAGE, priv.sign(MESSAGE)));
        assertFalse(pub.verify("other".getBytes(StandardCharsets.UTF_8), priv.sign(MESSAGE)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ed25519", "secp256k1", "ecdsa", "rsa"})
    void peerIdIsIdentityUpTo42BytesElseSha256(String type) throws Exception {
        byte[] pubPb = Vectors.hex(type + ".public");
        PeerId id = PubKey.unmarshal(pubPb).peerId();
        byte[] expected;
        if (pubPb.length <= 42) {
            expected = new byte[2 + pubPb.length];
            expected[0] = 0x00;
            expected[1] = (byte) pubPb.length;
            System.arraycopy(pubPb, 0, expected, 2, pubPb.length);
            assertEquals(PubKey.unmarshal(pubPb), id.extractPublicKey().orElseThrow());
        } else {
            expected = new byte[34];
            expected[0] = 0x12;
            expected[1] = 0x20;
            System.arraycopy(MessageDigest.getInstance("SHA-256").digest(pubPb), 0, expected, 2, 32);
            assertTrue(id.extractPublicKey().isEmpty());
        }
        assertArrayEquals(expected, id.bytes());
        assertEquals(id, PeerId.parse(id.toBase58()));
        assertEquals(id, PeerId.parse(id.toBase36()));
        assertEquals(id, PeerId.parse(id.toCid().toString()));
        assertTrue(id.matches(PubKey.unmarshal(pubPb)));
    }

    @Test
    void secp256k1VectorHasTheIndependentlyPublishedPeerId() {
        // a public libp2p deployment config pairs this private key with this peer id (16Uiu2... = identity, secp256k1)
        assertEquals("16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY",
                PrivKey.unmarshal(Vectors.hex("secp256k1.private")).peerId().toBase58());
    }

    @Test
    void ed25519SignaturesMatchBouncyCastleAndRfc8032() {
        // RFC 8032 section 7.1, TEST 1
        byte[] seed = HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        Ed25519PrivKey k = Ed25519PrivKey.fromSeed(seed);
        assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", HexFormat.of().formatHex(k.publicKey().raw()));
        assertEquals("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
                HexFormat.of().formatHex(k.sign(new byte[0])));
        // the spec vector key, signed independently by BouncyCastle's Ed25519
        PrivKey vec = PrivKey.unmarshal(Vectors.hex("ed25519.private"));
        byte[] data = Arrays.copyOfRange(Vectors.hex("ed25519.private"), 4, 36);
        Ed25519Signer bc = new Ed25519Signer();
        bc.init(true, new Ed25519PrivateKeyParameters(data, 0));
        bc.update(MESSAGE, 0, MESSAGE.length);
        byte[] bcSig = bc.generateSignature();
        assertArrayEquals(bcSig, vec.sign(MESSAGE));
        assertTrue(vec.publicKey().verify(MESSAGE, bcSig));
    }

    @Test
    void rsaSignaturesAreIdenticalToBouncyCastlePkcs1() throws Exception {
        byte[] pkcs1 = Arrays.copyOfRange(Vectors.hex("rsa.private"), 5, Vectors.hex("rsa.private").length);
        org.bouncycastle.asn1.pkcs.RSAPrivateKey k =
                org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(ASN1Primitive.fromByteArray(pkcs1));
        RSADigestSigner bc = new RSADigestSigner(new SHA256Digest());
        bc.init(true, new RSAPrivateCrtKeyParameters(k.getModulus(), k.getPublicExponent(), k.getPrivateExponent(),
                k.getPrime1(), k.getPrime2(), k.getExponent1(), k.getExponent2(), k.getCoefficient()));
        bc.update(MESSAGE, 0, MESSAGE.length);
        byte[] bcSig = bc.generateSignature();
        PrivKey ours = PrivKey.unmarshal(Vectors.hex("rsa.private"));
        assertArrayEquals(bcSig, ours.sign(MESSAGE)); // PKCS#1 v1.5 is deterministic
        PubKey pub = PubKey.unmarshal(Vectors.hex("rsa.public"));
        assertTrue(pub.verify(MESSAGE, bcSig));
        assertEquals(4096, ((RsaPubKey) pub).bits());
        bcSig[10] ^= 1;
        assertFalse(pub.verify(MESSAGE, bcSig));
    }

    @Test
    void secp256k1SignaturesInteroperateWithTheBouncyCastleJcaSigner() throws Exception {
        Secp256k1PrivKey ours = (Secp256k1PrivKey) PrivKey.unmarshal(Vectors.hex("secp256k1.private"));
        Secp256k1PubKey pub = (Secp256k1PubKey) PubKey.unmarshal(Vectors.hex("secp256k1.public"));
        // BC JCA key from the raw scalar and the uncompressed point
        org.bouncycastle.jce.spec.ECNamedCurveParameterSpec spec =
                org.bouncycastle.jce.ECNamedCurveTable.getParameterSpec("secp256k1");
        KeyFactory kf = KeyFactory.getInstance("EC", BC);
        java.security.PrivateKey jcaPriv = kf.generatePrivate(new org.bouncycastle.jce.spec.ECPrivateKeySpec(
                new java.math.BigInteger(1, Arrays.copyOfRange(Vectors.hex("secp256k1.private"), 4, 36)), spec));
        java.security.PublicKey jcaPub = kf.generatePublic(new org.bouncycastle.jce.spec.ECPublicKeySpec(
                spec.getCurve().decodePoint(pub.uncompressed()), spec));
        Signature s = Signature.getInstance("SHA256withECDSA", BC);
        s.initSign(jcaPriv);
        s.update(MESSAGE);
        byte[] theirSig = s.sign();
        assertTrue(pub.verify(MESSAGE, theirSig));
        Signature v = Signature.getInstance("SHA256withECDSA", BC);
        v.initVerify(jcaPub);
        v.update(MESSAGE);
        byte[] ourSig = ours.sign(MESSAGE);
        assertTrue(v.verify(ourSig));
        // deterministic (RFC 6979) and low-S
        assertArrayEquals(ourSig, ours.sign(MESSAGE));
        assertEquals(33, pub.raw().length);
        // uncompressed form is read and re-encoded compressed
        assertEquals(pub, Secp256k1PubKey.fromBytes(pub.uncompressed()));
    }

    @Test
    void ecdsaSignaturesInteroperateWithTheBouncyCastleJcaSigner() throws Exception {
        EcdsaPrivKey ours = (EcdsaPrivKey) PrivKey.unmarshal(Vectors.hex("ecdsa.private"));
        byte[] pkix = ours.publicKey().raw();
        KeyFactory kf = KeyFactory.getInstance("EC", BC);
        java.security.PublicKey jcaPub = kf.generatePublic(new X509EncodedKeySpec(pkix));
        java.security.PrivateKey jcaPriv = kf.generatePrivate(new PKCS8EncodedKeySpec(ours.toPkcs8()));
        Signature s = Signature.getInstance("SHA256withECDSA", BC);
        s.initSign(jcaPriv);
        s.update(MESSAGE);
        assertTrue(ours.publicKey().verify(MESSAGE, s.sign()));
        Signature v = Signature.getInstance("SHA256withECDSA", BC);
        v.initVerify(jcaPub);
        v.update(MESSAGE);
        assertTrue(v.verify(ours.sign(MESSAGE)));
        assertEquals(ours, EcdsaPrivKey.fromPkcs8(ours.toPkcs8()));
    }

    @Test
    void rsaNameFixtureKeyHashesToItsPeerId() throws Exception {
        // pubKey (field 7) of the RSA IPNS record fixture from ipfs/gateway-conformance
        byte[] record = Vectors.resource("rsa-QmVujd5V.ipns-record");
        com.google.protobuf.UnknownFieldSet fields = com.google.protobuf.UnknownFieldSet.parseFrom(record);
        byte[] pubKey = fields.getField(7).getLengthDelimitedList().get(0).toByteArray();
        assertEquals(299, pubKey.length);
        PubKey key = PubKey.unmarshal(pubKey);
        assertEquals(KeyType.RSA, key.type());
        assertEquals(2048, ((RsaPubKey) key).bits());
        PeerId id = key.peerId();
        assertEquals("QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3", id.toBase58());
        assertEquals("k2k4r8m7xvggw5pxxk3abrkwyer625hg01hfyggrai7lk1m63fuihi7w", id.toBase36());
        assertEquals(Multihash.SHA2_256, id.multihash().code());
    }

    @Test
    void generatedKeysSignAndVerify() {
        for (PrivKey k : new PrivKey[] {PrivKey.generateEd25519(), Secp256k1PrivKey.generate(), EcdsaPrivKey.generateP256()}) {
            byte[] sig = k.sign(MESSAGE);
            assertTrue(k.publicKey().verify(MESSAGE, sig), k.type().toString());
            assertEquals(k, PrivKey.unmarshal(k.marshal()));
            assertEquals(k.publicKey(), PubKey.unmarshal(k.publicKey().marshal()));
        }
        assertFalse(PrivKey.generateEd25519().equals(PrivKey.generateEd25519()));
    }
}
