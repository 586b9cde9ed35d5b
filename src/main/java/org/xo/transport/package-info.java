/**
 * How bytes reach the other nodes: the small {@link org.xo.transport.Transport} SPI (join, leave, send, receive)
 * and its plain IPv4 UDP multicast implementation. Knows nothing about rooms or envelopes.
 */
package org.xo.transport;
