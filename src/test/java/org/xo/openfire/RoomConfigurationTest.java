package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;
import org.xo.core.Kind;

public class RoomConfigurationTest {
    private static final String FORM = "<iq type=\"set\"><query xmlns=\"http://jabber.org/protocol/muc#owner\">"
            + "<x xmlns=\"jabber:x:data\" type=\"submit\">"
            + "<field var=\"FORM_TYPE\"><value>http://jabber.org/protocol/muc#roomconfig</value></field>";

    private static RoomConfiguration parse(String fields) throws Exception {
        return RoomConfiguration.fromForm(Stanzas.parse(FORM + fields + "</x></query></iq>"));
    }

    private static String field(String var, String value) {
        return "<field var=\"" + var + "\"><value>" + value + "</value></field>";
    }

    @Test
    public void travelsAsAnOwnerFormAndComesBackTheSame() throws Exception {
        RoomConfiguration keyed = new RoomConfiguration(true, 40,
                new RoomConfiguration.Privacy(true, "s3cret <&>", false));
        String form = keyed.toForm();
        assertTrue(form, Injector.fitsKind(Kind.CONFIG, Stanzas.parse(form)));
        assertEquals(keyed, RoomConfiguration.fromForm(Stanzas.parse(form)));
        RoomConfiguration open = keyed.withoutPrivacy();
        assertNull(open.privacy());
        assertFalse("no password on an open overlay", open.toForm().contains("s3cret"));
        assertEquals(open, RoomConfiguration.fromForm(Stanzas.parse(open.toForm())));
        RoomConfiguration noPassword = new RoomConfiguration(false, 0,
                new RoomConfiguration.Privacy(false, null, true));
        assertEquals(noPassword, RoomConfiguration.fromForm(Stanzas.parse(noPassword.toForm())));
    }

    @Test
    public void aPartOfThePrivacyIsNoPrivacyAndBadValuesRefuseTheForm() throws Exception {
        String base = field("muc#roomconfig_moderatedroom", "true") + field("muc#roomconfig_maxusers", "30");
        assertEquals(new RoomConfiguration(true, 30, null), parse(base));
        assertEquals(new RoomConfiguration(true, 30, null), parse(base + field("muc#roomconfig_membersonly", "1")));
        assertNull("negative", parse(field("muc#roomconfig_moderatedroom", "1")
                + field("muc#roomconfig_maxusers", "-1")));
        assertNull("not a number", parse(field("muc#roomconfig_moderatedroom", "1")
                + field("muc#roomconfig_maxusers", "many")));
        assertNull("not a boolean", parse(field("muc#roomconfig_moderatedroom", "yes")
                + field("muc#roomconfig_maxusers", "3")));
        assertNull("a field twice", parse(base + field("muc#roomconfig_maxusers", "0")));
        String privacy = field("muc#roomconfig_membersonly", "0") + field("muc#roomconfig_publicroom", "1");
        assertNull("protected without a password",
                parse(base + privacy + field("muc#roomconfig_passwordprotectedroom", "1")));
        assertNull("a password nobody types", parse(base + privacy
                + field("muc#roomconfig_passwordprotectedroom", "1")
                + field("muc#roomconfig_roomsecret", "x".repeat(RoomConfiguration.MAX_PASSWORD_CHARS + 1))));
        assertEquals("a password of an unprotected room is none",
                new RoomConfiguration(true, 30, new RoomConfiguration.Privacy(false, null, true)),
                parse(base + privacy + field("muc#roomconfig_passwordprotectedroom", "0")
                        + field("muc#roomconfig_roomsecret", "left over")));
        assertNull("another form", RoomConfiguration.fromForm(Stanzas.parse(FORM.replace("muc#roomconfig",
                "muc#roominfo") + base + "</x></query></iq>")));
        assertNull("no form", RoomConfiguration.fromForm(Stanzas.parse("<iq type=\"set\"/>")));
    }

    @Test
    public void thePasswordIsNeverPrinted() {
        RoomConfiguration c = new RoomConfiguration(false, 10, new RoomConfiguration.Privacy(false, "hunter2", true));
        assertFalse(c.toString(), c.toString().contains("hunter2"));
    }
}
