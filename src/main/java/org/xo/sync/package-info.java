/**
 * Consistency between nodes: duplicate suppression and gap counting per stream (origin run and room,
 * {@link org.xo.sync.Deduplicator}), the per-room state a node repeats to nodes that join later
 * ({@link org.xo.sync.RoomState}), the room log ({@link org.xo.sync.RoomLog}, in memory:
 * {@link org.xo.sync.MemoryRoomLog}) and repair ({@link org.xo.sync.Repairer}, {@link org.xo.sync.RepairMessages}).
 *
 * <h2>Repair protocol</h2>
 * Every (origin node, origin epoch, room) is a stream numbered 1, 2, 3, ... without gaps; every node keeps the room
 * events of every origin it published or received in its room log. Repair makes every node's log (and its clients'
 * rooms) hold every event of the room, whatever was lost on the way: a flicker, a partition, a restart.
 * <ol>
 * <li><b>Gaps</b>: a receiver knows, per stream, the highest seq that exists (heard, or listed in a digest); the seqs
 * below it it does not hold are gaps, chased back at most as far as logs keep one origin's events.</li>
 * <li><b>Digests</b> ({@code Kind.DIGEST}): a node lists, for the room's most recently active streams (at most 24,
 * active within 10 minutes: one small datagram), the first and last seq its log holds. It sends one about a second
 * after room traffic, then at 2, 4, 8, 16 s and every 30 s while the room is quiet (the idle cost: one datagram every
 * 30 s per node and room, about 90 bytes with five streams listed; {@code bin/xo-bench merge} measures it), and within 200 ms when a digest it heard was behind
 * its own. A digest is how a receiver finds a tail loss (the last events lost, then silence) and the traffic of the
 * other side of a healed partition: what lies beyond its highest known seq becomes a gap.</li>
 * <li><b>NACKs</b> ({@code Kind.NACK}): a new gap is asked for after a random wait of up to 200 ms. A node that
 * hears another's NACK for seqs it misses too puts its own request off as if it had sent it (suppression: after a
 * heal, one or two NACKs per gap however many nodes miss it). Unanswered, a gap is asked for again after 0.5 s, then
 * every second, and abandoned after 16 attempts, about 15 s without an answer (nobody holds it any more). One NACK covers up to 16 streams, 16 ranges
 * each, 1,024 seqs per range.</li>
 * <li><b>Answers</b>: any node that holds requested events answers, not only their origin: after a random wait of
 * up to 50 ms for the origin, 100 to 200 ms for the others, so the origin usually answers and the others hear it. A
 * node drops from its pending answers every seq it hears on the wire meanwhile (another node answered it). Answers
 * are the original envelopes, fetched with one {@link org.xo.sync.RoomLog#range} query per requested range (at most
 * 256 events per query) and sent through the pacer, so a backlog leaves in full datagrams; each range's events are
 * submitted together, so most datagrams carry one origin's run under one header origin. Answer bandwidth is limited
 * per room ({@code EngineConfig.repairBytesPerSecond}); what does not fit waits its turn.</li>
 * <li><b>Bounds against a hostile sender</b>: a NACK asking for more streams or longer ranges is cut to the caps and
 * counted; a malformed digest or NACK is dropped and counted; a digest claiming a huge seq makes at most one
 * horizon's worth of gap, asked for at most 16 times; pending answers and tracked streams are bounded per room.</li>
 * <li><b>Not in the streams</b>: digests and NACKs are not numbered in any room stream (their seq is a per-run serial
 * receivers never chase), so repair cannot create a hole that repair would chase. State requests are numbered and
 * logged: they can be repaired like events, and one that repair brings back is not answered again.</li>
 * <li><b>Delivery</b>: an event reaches the listener once per log for messages, subjects and private messages (so a
 * restart with a persistent log delivers nothing twice) and once per run for presences, leaves and nick changes
 * (occupants are rebuilt every run), flagged late when it filled a gap. A presence-like event older than one already
 * seen of the same occupant is marked seen and not delivered, so a repaired presence never brings back an occupant
 * who left.</li>
 * </ol>
 * Repair is off with {@code EngineConfig.repair(false)}; the log is kept either way.
 */
package org.xo.sync;
