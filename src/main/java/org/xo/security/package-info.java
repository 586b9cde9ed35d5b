/**
 * The overlay key: only nodes that hold it can read the overlay's datagrams or send one that others accept. The key
 * ring and its file ({@link org.xo.security.OverlayKeys}), the sealed datagram's layout and the reasons for its
 * cipher and nonces ({@link org.xo.security.DatagramSeal}), sealing ({@link org.xo.security.Sealer}) and opening
 * with replay windows ({@link org.xo.security.Opener}). Plain JDK (javax.crypto), below the engine and beside
 * {@code org.xo.core}: the engine seals what the codec encoded and opens what the transport received, so the codec
 * never sees a datagram that was not let in.
 * <p>
 * What the key protects: who can speak (every datagram is authenticated, replays are rejected) and what is said
 * (rooms, nicks and stanzas are encrypted). What it does not hide: that a node sends, its node id, when, and how
 * many bytes (the clear header); and a key holder can still say anything (see issue 11's other items).
 */
package org.xo.security;
