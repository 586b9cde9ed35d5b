/**
 * Discovery: which XO nodes exist, which rooms they carry, and which of them went silent. With no server there is
 * no room list and no one to say who left; every node announces itself instead.
 * <p>
 * <b>Beacons.</b> Each node sends a BEACON envelope ({@link org.xo.core.Kind#BEACON}, code 0x41) on a well-known
 * control group (default 239.192.255.250, same UDP port and transport as room traffic, the transport's TTL, the
 * node's ordinary seq numbering so the deduplicator applies). Its room field is the control address
 * {@code xo-control@<overlay service>} (receivers also filter on it, so overlays with different services can share
 * the group), its nick the node's name, its stanza the compact text body of {@link org.xo.discovery.Beacon}: per
 * room with local occupants its address, group, port, occupant count and subject (at most 64 characters).
 * <p>
 * <b>Timing and budget (defaults, chosen for a lossy radio network).</b> A full beacon every 10 s, and one at once
 * (at most one extra per 250 ms) when the set of advertised rooms or a subject changes: a new room is known one
 * hop away after one one-way delay plus at most 250 ms, well under the 1 s per hop target, without periodic
 * beacons having to be frequent. Ten rooms with 64-character subjects make a datagram of about 600–700 bytes after
 * DEFLATE (measured by {@code DiscoveryEngineTest.tenRoomsCostLessThanAHundredBytesPerSecond}: 665 bytes with ten unrelated 64-character subjects), so 60–70 bytes/s per node, inside the 100 bytes/s budget; occupant
 * counts ride the periodic beacons only. A node is lost after 35 s of silence: 3.5 intervals, so that three beacons
 * in a row must be lost (at 20% independent loss, 0.8% of the time per interval rather than 4% with two) before
 * its occupants are removed, and the half interval absorbs scheduling and multi-hop delay. Anything a node sends
 * counts as heard, except SUBJECT envelopes, the one kind other nodes repeat on the origin's behalf.
 * <p>
 * <b>No relaying by XO nodes.</b> Beacons are not forwarded by the nodes themselves: a node that relayed discovery
 * without relaying room traffic would advertise rooms whose messages cannot arrive. Multicast routing (SMF-like
 * forwarding on the radios, smcroute in tests) carries beacons and room traffic alike, with the same TTL, so a room
 * is listed exactly where its traffic reaches.
 * <p>
 * <b>Directory.</b> {@link org.xo.discovery.Directory} keeps live nodes with expiry (driven by the engine's timer
 * through {@code sweep()}, with an injectable clock) and merges their rooms for the MUC service's listing. It has a
 * second entry point for DNS-SD ({@code accept(NodeInfo, Source.DNS_SD)} and {@code withdraw}); each source of a
 * node expires on its own.
 * <p>
 * <b>DNS-SD on the local link.</b> {@link org.xo.discovery.DnsSdAdvertiser} (JmDNS, bound to the multicast
 * interface's address) registers the node as a {@value org.xo.discovery.DnsSdRecord#SERVICE_TYPE} service whose TXT
 * record ({@link org.xo.discovery.DnsSdRecord}) carries id, epoch, beacon interval, overlay service and a summary of
 * at most eight rooms, and feeds the peers it resolves into the directory. Beacons stay the full announcement: a
 * DNS-SD record never replaces the rooms of a run also heard from beacons.
 * <p>
 * Depends on {@code org.xo.core} only; the engine ({@code org.xo.engine}) owns and drives it.
 */
package org.xo.discovery;
