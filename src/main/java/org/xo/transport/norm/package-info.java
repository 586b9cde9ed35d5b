/**
 * Reliable multicast for XO through NORM (RFC 5740): {@link org.xo.transport.norm.NormTransport} implements the same
 * {@link org.xo.transport.Transport} as plain UDP on top of NRL's libnorm (Debian's libnorm1), bound with JNA
 * ({@code NormApi}: 28 functions, written from {@code normApi.h}). The engine cannot tell which transport it has.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>One NORM instance per transport</b>: one native protocol thread ({@code xo-norm-proto}: libnorm's thread
 *       inherits the name of the Java thread that creates the instance) and one Java event thread
 *       ({@code xo-norm-events}), whatever the number of groups.</li>
 *   <li><b>One session per joined group</b>, on the group address and the overlay port + 1 (not the overlay port: UDP
 *       nodes would take NORM's messages for datagrams and NORM nodes theirs for NORM messages; both would drop them,
 *       the codec as foreign, but only after the work). The receive socket is bound to the group address with port
 *       reuse, so sessions of many groups and nodes share the port without hearing each other's groups; the send
 *       socket has an ephemeral port. Every session sends and receives: NACKs come back on the receive side, so a
 *       group is sent to only once joined. A left group's datagrams are no longer delivered at once, but its session
 *       lingers until what it sent is flushed (at most 5 s; 1 s when the transport closes), so that a room's last
 *       datagrams (a leave presence, the engine's goodbye) go out and get repaired.</li>
 *   <li><b>One XO datagram is one NORM data object</b>; a completed object is delivered to the handler as a
 *       datagram, with its sender's address. An object that cannot be an XO datagram (a stream or file, or more than
 *       65,000 bytes) is cancelled when it is announced and counted. libnorm allocates a received object's buffer at
 *       the size its sender declares, with {@code new[]} (which ends the process when it fails): the transport makes
 *       it use {@code malloc}, whose failure libnorm survives by dropping the object.</li>
 *   <li><b>Node ids</b>: the 32-bit NORM node id folds the 64-bit XO node id (never 0 or 0xFFFFFFFF); a node never
 *       hears its own messages. Each session starts its sender with a random instance id, by which receivers tell a
 *       restarted node from its previous run.</li>
 *   <li><b>Rate</b>: a fixed transmit rate per session (default 10 Mbit/s), no congestion control: NORM's
 *       TCP-friendly control reads random loss as congestion and would throttle a lossy radio link to a crawl. The
 *       starting GRTT estimate is the network's round-trip time (the pacing setting), not NORM's 0.25 s: NORM keeps
 *       each sent object for about 10 GRTT before it may be purged, so with 0.25 s a session could send only its
 *       transmit cache's worth of objects (1024) every 2.5 s until the estimate came down.</li>
 *   <li><b>Queue</b>: a send whose session's transmit queue is full waits for NORM_TX_QUEUE_VACANCY up to a bound
 *       (default 2 s), then is dropped and counted; the event thread never waits. Each sent datagram's buffer stays
 *       allocated until NORM_TX_OBJECT_PURGED (at most 256 KB per session).</li>
 *   <li><b>Receiving</b>: a receive cache of 4096 objects per sender (the default 256 lost messages under load while
 *       senders saw them acknowledged) and NORM_SYNC_ALL (the default never recovers a sender's lost first object).
 *       A remote sender's receive buffers stay allocated while the session lives: freeing them when it goes quiet
 *       would drop the state of objects still being repaired.</li>
 *   <li><b>Re-flush</b>: NORM's receivers learn what they missed only from the sender's later messages. After its
 *       data a sender flushes for 40 GRTT (20 commands), which on a LAN is over in milliseconds: a receiver cut off
 *       for a second in a room that then stays quiet would never learn of the datagrams sent meanwhile. So a session
 *       re-flushes 1, 3, 7, 15 and 31 s after its last send, with a watermark that every node heard in the group is
 *       asked to acknowledge (NormSetWatermark): it ends as soon as all acknowledged, and it also reaches a node that
 *       has received nothing of this sender yet (such a node synchronizes on an acknowledgement request that names
 *       it, not on a plain flush). Measured between two namespaces: a receiver cut off for 1, 10 or 25 s while the
 *       sender sent, also one that had received nothing of it before, got everything at the next re-flush after the
 *       link came back.</li>
 *   <li><b>Events</b> are taken without blocking after {@code poll()} on the instance's descriptor (libnorm's own
 *       blocking wait uses {@code select()}, which breaks above descriptor 1023), by one thread that also watches its
 *       stop flag. Handles of an event are used only while the next event has not been taken, and never while a
 *       session is being destroyed (which frees them).</li>
 * </ul>
 *
 * <h2>Limits, measured with libnorm 1.5.9 on x86-64</h2>
 * Per session: two sockets and about 100 KB of native memory (1 MB of address space: libnorm keeps 16 message
 * buffers of 64 KB), plus 50 to 65 KB for each remote node that has sent in the group (its receive state here, and
 * the acknowledgement state there). Two threads per transport, whatever the number of sessions. 1,000 joins take
 * about 1 s, 2,000 about 2 s. 5,000 sessions ran in one process (560 MB); nothing but memory and descriptors bounds
 * them. The transport refuses joins beyond {@link org.xo.transport.norm.NormConfig#maxSessions()} (default 2,000)
 * with an IOException that names the limit: the engine keeps such a room local and reports it as not carried. Idle
 * sessions still probe the group's round-trip time, backing off to one probe (and its answers) per 30 s per session.
 * A node that joins a group asks each sender for what its transmit cache still holds (NORM_SYNC_ALL; at most
 * 256 KB), which the engine then drops as duplicates or older history.
 * <p>
 * Where libnorm cannot be loaded, {@link org.xo.transport.norm.NormTransport#orUdp} says so once and returns the UDP
 * transport.
 */
package org.xo.transport.norm;
