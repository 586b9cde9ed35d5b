package org.xo.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Gives a new node a self-signed certificate for its domain, so clients can use STARTTLS: most real XMPP clients
 * refuse to authenticate over plain TCP. An operator can replace it with a real certificate in the same keystore;
 * a keystore that already holds a key is never touched. BouncyCastle is already on the node's class path
 * (Openfire depends on it), and Openfire 4.2 generates none by itself without the admin console.
 */
final class SelfSignedCertificate {
    /** Openfire's default password of its key and trust stores. */
    static final String OPENFIRE_STORE_PASSWORD = "changeit";
    private static final Duration VALIDITY = Duration.ofDays(3650);

    private SelfSignedCertificate() {
    }

    /** Adds a certificate for {@code domain} and its subdomains (conference., xo., ...) when the store has no key. */
    static void ensure(Path keystore, String domain, char[] password) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance("JKS");
            try (InputStream in = Files.newInputStream(keystore)) {
                store.load(in, password);
            }
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    return;
                }
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048, new SecureRandom());
            KeyPair keys = generator.generateKeyPair();
            store.setKeyEntry(domain + "_rsa", keys.getPrivate(), password,
                    new Certificate[] {certificate(domain, keys)});
            try (OutputStream out = Files.newOutputStream(keystore)) {
                store.store(out, password);
            }
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot create a certificate for " + domain + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate certificate(String domain, KeyPair keys)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        X500Name name = new X500Name("CN=" + domain);
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(VALIDITY)), name, keys.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, domain),
                new GeneralName(GeneralName.dNSName, "*." + domain)}));
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }
}
