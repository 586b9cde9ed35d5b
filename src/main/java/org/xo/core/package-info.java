/**
 * The overlay's vocabulary and wire format: room addresses ({@link org.xo.core.OverlayRoom}) and their multicast
 * groups ({@link org.xo.core.GroupAddressing}, the XO paper's MD5 mapping), the {@link org.xo.core.Envelope} of one
 * room event, its bounds ({@link org.xo.core.Limits}), the versioned datagram codec
 * ({@link org.xo.core.EnvelopeCodec}) and the per-group batching timer ({@link org.xo.core.Pacer}, Leggio and Kojo's
 * IMTimeout algorithm). Plain JDK, no I/O: everything here is tested without a network.
 */
package org.xo.core;
