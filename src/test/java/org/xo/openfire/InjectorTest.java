package org.xo.openfire;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.dom4j.DocumentException;
import org.junit.Test;
import org.xo.core.Kind;

public class InjectorTest {
    @Test
    public void aStanzaFitsItsKind() throws DocumentException {
        assertTrue(Injector.fitsKind(Kind.PRESENCE, Stanzas.parse("<presence to='lobby@conference.xo/alice'/>")));
        assertTrue(Injector.fitsKind(Kind.LEAVE, Stanzas.parse("<presence type='unavailable'/>")));
        assertTrue(Injector.fitsKind(Kind.GROUPCHAT,
                Stanzas.parse("<message type='groupchat'><body>hi</body></message>")));
        assertFalse(Injector.fitsKind(Kind.PRESENCE, Stanzas.parse("<presence type='unavailable'/>")));
        assertFalse(Injector.fitsKind(Kind.GROUPCHAT, Stanzas.parse("<presence/>")));
    }

    /** Found by fuzzing (fuzz/codec-crash-empty-resource): Tinder threw on every packet made of such a presence. */
    @Test
    public void aStanzaWhoseAddressIsNoJidFitsNoKind() throws DocumentException {
        assertFalse(Injector.fitsKind(Kind.PRESENCE, Stanzas.parse("<presence to='lobby@conference.xo/'/>")));
        assertFalse(Injector.fitsKind(Kind.GROUPCHAT, Stanzas.parse("<message from='@conference.xo'/>")));
        assertFalse(Injector.fitsKind(Kind.PRIVATE, Stanzas.parse("<message to='a/'><body>x</body></message>")));
    }

    @Test
    public void aKickThatAPartitionHeldUpIsNotAppliedABanIs() {
        Stanzas.Moderation kick = new Stanzas.Moderation(1, "bob", false, null);
        Stanzas.Moderation ban = new Stanzas.Moderation(1, "bob", true, null);
        long now = 1_000_000_000L;
        assertFalse(Injector.isStaleKick(kick, now - Injector.STALE_KICK_MS, now));
        assertTrue(Injector.isStaleKick(kick, now - Injector.STALE_KICK_MS - 1, now));
        assertFalse(Injector.isStaleKick(ban, now - 3_600_000, now));
    }

    @Test
    public void aConfigurationTravelsAsAnIq() throws DocumentException {
        assertTrue(Injector.fitsKind(Kind.CONFIG, Stanzas.parse("<iq type='set'/>")));
        assertFalse(Injector.fitsKind(Kind.CONFIG, Stanzas.parse("<message/>")));
    }
}
