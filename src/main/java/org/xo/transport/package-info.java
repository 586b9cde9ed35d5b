/**
 * How bytes reach the other nodes: the small {@link org.xo.transport.Transport} SPI (join, leave, send, receive)
 * and its plain IPv4 UDP multicast implementation (one socket per joined group, all served by one thread), the
 * network interface settings ({@link org.xo.transport.Interfaces}), and the log throttle every package above shares.
 * The reliable NORM implementation is in {@code org.xo.transport.norm}. Knows nothing about rooms or envelopes.
 */
package org.xo.transport;
