/**
 * The gateway (the paper's XOG): bridges one overlay room with a room on a conventional XMPP server's MUC service
 * over standard server-to-server federation. {@link org.xo.gateway.Bridge} decides who joins and what crosses, in
 * terms of nicks and texts only; the Openfire adapter ({@code org.xo.openfire.Gateway}) turns its decisions into
 * stanzas and the rooms' stanzas into its events. No Openfire imports here.
 *
 * <p>Loop prevention is by identity, not by content: the bridge knows every occupant it put into either room (the
 * far room's occupant for each XO participant, the XO room's occupant for each enterprise occupant, and its own
 * listening occupant on each side), so whatever either room reflects from them is recognised as an echo and dropped.
 */
package org.xo.gateway;
