<%@ page contentType="text/html; charset=UTF-8" %>
<%@ taglib uri="http://java.sun.com/jsp/jstl/core" prefix="c" %>
<%@ taglib uri="http://java.sun.com/jsp/jstl/fmt" prefix="fmt" %>
<%-- The header is written here; rooms, nodes and counters come from status-data (org.xo.openfire.StatusServlet),
     which the script below polls every 2 s and renders without reloading the page. --%>
<% request.setAttribute("xo", org.xo.openfire.AdminConsole.header(org.jivesoftware.util.JiveGlobals.getLocale())); %>
<html>
<head>
    <title><fmt:message key="xo.status.title"/></title>
    <meta name="pageID" content="xo-status"/>
    <style>
        .xo-section { margin: 18px 0 6px 0; font-weight: bold; }
        .xo-state-running { color: #080; font-weight: bold; }
        .xo-state-off, .xo-state-stopped, .xo-state-unloaded { color: #666; font-weight: bold; }
        .xo-state-failed { color: #c00; font-weight: bold; }
        #xo-bridge td.xo-up { color: #080; font-weight: bold; }
        #xo-bridge td.xo-down { color: #c00; font-weight: bold; }
        #xo-bridge td.xo-value { text-align: right; font-family: monospace; }
        #xo-lost { color: #c00; }
        #xo-counters { display: flex; flex-wrap: wrap; gap: 12px; }
        #xo-counters table { min-width: 260px; }
        #xo-counters td.xo-value { text-align: right; font-family: monospace; }
        #xo-spark polyline { fill: none; stroke-width: 1.5; }
        .xo-in { color: #1f6fb4; } #xo-spark-in { stroke: #1f6fb4; }
        .xo-out { color: #d9771e; } #xo-spark-out { stroke: #d9771e; }
        .xo-muted { color: #666; }
    </style>
</head>
<body>
<div class="jive-table">
<table cellpadding="0" cellspacing="0" border="0" id="xo-node">
    <thead><tr><th colspan="2"><fmt:message key="xo.status.node"/></th></tr></thead>
    <tbody>
    <tr><td><fmt:message key="xo.status.node.id"/></td><td><code id="xo-node-id"><c:out value="${xo.nodeId}"/></code></td></tr>
    <tr><td><fmt:message key="xo.status.node.name"/></td><td id="xo-node-name"><c:out value="${xo.nodeName}"/></td></tr>
    <tr><td><fmt:message key="xo.status.domain"/></td><td id="xo-domain"><c:out value="${xo.domain}"/></td></tr>
    <tr><td><fmt:message key="xo.status.openfire"/></td><td id="xo-openfire"><c:out value="${xo.openfire}"/></td></tr>
    <tr><td><fmt:message key="xo.status.transport"/></td><td id="xo-transport"><c:out value="${xo.transport}"/></td></tr>
    <tr><td><fmt:message key="xo.status.security"/></td><td id="xo-security"><c:out value="${xo.security}"/></td></tr>
    <tr><td><fmt:message key="xo.status.overlay"/></td>
        <td><span id="xo-state" class="xo-state-<c:out value="${xo.state}"/>"><c:out value="${xo.stateText}"/></span></td></tr>
    </tbody>
</table>
</div>
<p class="xo-muted"><fmt:message key="xo.status.updated"/> <span id="xo-updated">-</span>
    <span id="xo-lost" style="display: none"><fmt:message key="xo.status.connection-lost"/></span></p>

<div class="xo-section"><fmt:message key="xo.status.traffic"/></div>
<svg id="xo-spark" width="360" height="50" viewBox="0 0 360 50" role="img">
    <rect x="0" y="0" width="360" height="50" fill="#fafafa" stroke="#ddd"/>
    <polyline id="xo-spark-in" points=""/>
    <polyline id="xo-spark-out" points=""/>
</svg>
<div><span class="xo-in"><fmt:message key="xo.status.traffic.in"/>: <span id="xo-rate-in">-</span>/s</span>
    &nbsp; <span class="xo-out"><fmt:message key="xo.status.traffic.out"/>: <span id="xo-rate-out">-</span>/s</span></div>

<div class="xo-section"><fmt:message key="xo.status.rooms"/></div>
<div class="jive-table">
<table cellpadding="0" cellspacing="0" border="0" width="100%" id="xo-rooms">
    <thead><tr>
        <th><fmt:message key="xo.status.rooms.room"/></th>
        <th><fmt:message key="xo.status.rooms.group"/></th>
        <th><fmt:message key="xo.status.rooms.local"/></th>
        <th><fmt:message key="xo.status.rooms.remote"/></th>
    </tr></thead>
    <tbody><tr class="xo-none"><td colspan="4"><fmt:message key="xo.status.rooms.none"/></td></tr></tbody>
</table>
</div>
<span id="xo-text-entering" style="display: none"><fmt:message key="xo.status.rooms.entering"/></span>
<span id="xo-text-awaiting-restart" style="display: none"><fmt:message key="xo.status.rooms.awaiting-restart"/></span>

<div class="xo-section"><fmt:message key="xo.status.uncarried"/></div>
<div class="jive-table">
<table cellpadding="0" cellspacing="0" border="0" width="100%" id="xo-uncarried">
    <thead><tr>
        <th><fmt:message key="xo.status.rooms.room"/></th>
        <th><fmt:message key="xo.status.uncarried.reason"/></th>
    </tr></thead>
    <tbody><tr class="xo-none"><td colspan="2"><fmt:message key="xo.status.uncarried.none"/></td></tr></tbody>
</table>
</div>

<div class="xo-section"><fmt:message key="xo.status.bridge"/></div>
<div class="jive-table">
<table cellpadding="0" cellspacing="0" border="0" width="100%" id="xo-bridge">
    <thead><tr>
        <th><fmt:message key="xo.status.rooms.room"/></th>
        <th><fmt:message key="xo.status.bridge.far-room"/></th>
        <th><fmt:message key="xo.status.bridge.state"/></th>
        <th><fmt:message key="xo.status.bridge.since"/></th>
        <th><fmt:message key="xo.status.bridge.to-far"/></th>
        <th><fmt:message key="xo.status.bridge.to-xo"/></th>
        <th><fmt:message key="xo.status.bridge.last-error"/></th>
    </tr></thead>
    <tbody><tr class="xo-none"><td colspan="7"><fmt:message key="xo.status.bridge.none"/></td></tr></tbody>
</table>
</div>

<div class="xo-section"><fmt:message key="xo.status.nodes"/></div>
<div class="jive-table">
<table cellpadding="0" cellspacing="0" border="0" width="100%" id="xo-nodes">
    <thead><tr>
        <th><fmt:message key="xo.status.nodes.name"/></th>
        <th><fmt:message key="xo.status.nodes.id"/></th>
        <th><fmt:message key="xo.status.nodes.heard"/></th>
        <th><fmt:message key="xo.status.nodes.found"/></th>
        <th><fmt:message key="xo.status.nodes.rooms"/></th>
    </tr></thead>
    <tbody><tr class="xo-none"><td colspan="5"><fmt:message key="xo.status.nodes.none"/></td></tr></tbody>
</table>
</div>

<div class="xo-section"><fmt:message key="xo.status.counters"/></div>
<div id="xo-counters"></div>

<script>
(function () {
    var POLL_MS = 2000, RETRY_MS = 5000, SAMPLES = 150; // 150 polls of 2 s: the last 5 minutes
    var rates = [], previous = null;

    function byId(id) { return document.getElementById(id); }
    function cell(row, text, className) {
        var td = row.insertCell(-1);
        td.textContent = text;
        if (className) { td.className = className; }
        return td;
    }
    // Replaces a table's rows; keeps its "none" row (written by the page, in its language) for an empty list.
    function fill(tableId, items, addRow) {
        var body = byId(tableId).tBodies[0];
        var none = body.none || (body.none = body.rows[0]);
        while (body.rows.length) { body.deleteRow(0); }
        if (!items.length) { body.appendChild(none); return; }
        items.forEach(function (item) { addRow(body.insertRow(-1), item); });
    }
    function remoteText(remote) {
        var entering = byId('xo-text-entering').textContent;
        var awaitingRestart = byId('xo-text-awaiting-restart').textContent;
        return remote.map(function (r) {
            return r.nick + ' (' + r.nodeName + ')' + (r.joined ? '' : ' ' + entering)
                + (r.awaitingRestart ? ' ' + awaitingRestart : '');
        }).join(', ');
    }
    function spark(d) {
        if (previous && d.time > previous.time) {
            var seconds = (d.time - previous.time) / 1000;
            rates.push({
                inRate: Math.max(0, d.traffic.datagramsIn - previous.traffic.datagramsIn) / seconds,
                outRate: Math.max(0, d.traffic.datagramsOut - previous.traffic.datagramsOut) / seconds
            });
            if (rates.length > SAMPLES) { rates.shift(); }
        }
        previous = d;
        if (!rates.length) { return; }
        var top = 1;
        rates.forEach(function (r) { top = Math.max(top, r.inRate, r.outRate); });
        function points(key) {
            return rates.map(function (r, i) {
                var x = 360 - (rates.length - 1 - i) * (360 / (SAMPLES - 1));
                return x.toFixed(1) + ',' + (48 - r[key] / top * 44).toFixed(1);
            }).join(' ');
        }
        byId('xo-spark-in').setAttribute('points', points('inRate'));
        byId('xo-spark-out').setAttribute('points', points('outRate'));
        var last = rates[rates.length - 1];
        byId('xo-rate-in').textContent = last.inRate.toFixed(1);
        byId('xo-rate-out').textContent = last.outRate.toFixed(1);
    }
    function render(d) {
        byId('xo-node-id').textContent = d.node.id;
        byId('xo-node-name').textContent = d.node.name;
        byId('xo-domain').textContent = d.node.domain;
        byId('xo-openfire').textContent = d.node.openfire;
        byId('xo-transport').textContent = d.node.transport;
        byId('xo-security').textContent = d.node.security;
        var state = byId('xo-state');
        state.textContent = d.overlay.text;
        state.className = 'xo-state-' + d.overlay.state;
        fill('xo-rooms', d.rooms, function (row, r) {
            cell(row, r.name).title = r.address;
            cell(row, r.group);
            cell(row, r.local.join(', '));
            cell(row, remoteText(r.remote));
        });
        fill('xo-uncarried', d.rooms.filter(function (r) { return r.uncarried; }), function (row, r) {
            cell(row, r.address);
            cell(row, r.uncarried);
        });
        fill('xo-bridge', d.bridge ? [d.bridge] : [], function (row, b) {
            cell(row, b.room);
            cell(row, b.farRoom);
            cell(row, b.state, b.up ? 'xo-up' : b.standbyFor ? '' : 'xo-down');
            cell(row, b.since);
            cell(row, b.toFar.toLocaleString(), 'xo-value');
            cell(row, b.toXo.toLocaleString(), 'xo-value');
            cell(row, b.lastError ? b.lastError + ' (' + b.lastErrorAgo + ')' : '');
        });
        fill('xo-nodes', d.nodes, function (row, n) {
            cell(row, n.name);
            cell(row, n.id);
            cell(row, n.lastHeard);
            cell(row, n.foundBy);
            cell(row, String(n.rooms));
        });
        var counters = byId('xo-counters');
        counters.textContent = '';
        d.counters.forEach(function (group) {
            var table = document.createElement('table');
            table.className = 'jive-table';
            var head = table.createTHead().insertRow(-1).appendChild(document.createElement('th'));
            head.colSpan = 2;
            head.textContent = group.title;
            var body = table.appendChild(document.createElement('tbody'));
            Object.keys(group.values).forEach(function (name) {
                var row = body.insertRow(-1);
                cell(row, name);
                cell(row, group.values[name].toLocaleString(), 'xo-value');
            });
            counters.appendChild(table);
        });
        spark(d);
        byId('xo-updated').textContent = new Date(d.time).toLocaleTimeString();
    }
    function poll() {
        var xhr = new XMLHttpRequest();
        xhr.open('GET', 'status-data', true);
        xhr.onload = function () {
            var type = xhr.getResponseHeader('Content-Type') || '';
            if (xhr.status === 200 && type.indexOf('application/json') === 0) {
                byId('xo-lost').style.display = 'none';
                render(JSON.parse(xhr.responseText));
                setTimeout(poll, POLL_MS);
            } else if ((xhr.responseURL || '').indexOf('login.jsp') >= 0) {
                window.location.reload(); // the admin session ended: the reload leads to the login page
            } else {
                byId('xo-lost').style.display = '';
                setTimeout(poll, RETRY_MS);
            }
        };
        xhr.onerror = function () {
            byId('xo-lost').style.display = '';
            setTimeout(poll, RETRY_MS);
        };
        xhr.send();
    }
    poll();
})();
</script>
</body>
</html>
