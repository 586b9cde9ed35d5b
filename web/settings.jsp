<%@ page contentType="text/html; charset=UTF-8" %>
<%@ taglib uri="http://java.sun.com/jsp/jstl/core" prefix="c" %>
<%@ taglib uri="http://java.sun.com/jsp/jstl/fmt" prefix="fmt" %>
<%-- Layout only: org.xo.openfire.SettingsPage validates, stores and says what happened. --%>
<% request.setAttribute("xo", org.xo.openfire.SettingsPage.handle(request)); %>
<html>
<head>
    <title><fmt:message key="xo.settings.title"/></title>
    <meta name="pageID" content="xo-settings"/>
    <style>
        #xo-settings td { vertical-align: top; }
        #xo-settings .xo-problem { color: #c00; font-weight: bold; margin-top: 3px; }
        #xo-settings .xo-default { color: #666; }
        #xo-settings input.xo-invalid, #xo-settings select.xo-invalid { border: 2px solid #c00; }
    </style>
</head>
<body>
<c:if test="${xo.refused}">
    <div class="jive-error" id="xo-refused"><fmt:message key="xo.settings.refused"/></div>
</c:if>
<c:if test="${xo.invalid}">
    <div class="jive-error" id="xo-invalid"><fmt:message key="xo.settings.invalid.summary"/></div>
</c:if>
<c:if test="${xo.saved}">
    <div class="jive-success" id="xo-saved">
        <c:choose>
            <c:when test="${empty xo.changes}"><fmt:message key="xo.settings.saved.nothing"/></c:when>
            <c:otherwise>
                <fmt:message key="xo.settings.saved"/>
                <ul><c:forEach var="change" items="${xo.changes}"><li class="xo-change"><c:out value="${change}"/></li></c:forEach></ul>
            </c:otherwise>
        </c:choose>
    </div>
</c:if>
<p><fmt:message key="xo.settings.intro"/></p>
<form action="settings.jsp" method="post" id="xo-settings-form">
    <input type="hidden" name="<c:out value="${xo.csrfParameter}"/>" value="<c:out value="${xo.csrfToken}"/>"/>
    <div class="jive-table">
    <table id="xo-settings" cellpadding="0" cellspacing="0" border="0" width="100%">
        <thead>
        <tr>
            <th><fmt:message key="xo.settings.column.setting"/></th>
            <th><fmt:message key="xo.settings.column.value"/></th>
            <th><fmt:message key="xo.settings.column.meaning"/></th>
        </tr>
        </thead>
        <tbody>
        <c:forEach var="f" items="${xo.fields}">
        <tr id="row-${f.id}">
            <td><label for="${f.id}"><code><c:out value="${f.key}"/></code></label></td>
            <td>
                <c:set var="invalidClass" value="${empty f.problem ? '' : 'xo-invalid'}"/>
                <c:choose>
                    <c:when test="${f.input == 'READ_ONLY'}">
                        <code id="${f.id}"><c:choose><c:when test="${empty f.value}"><fmt:message key="xo.settings.not-generated"/></c:when><c:otherwise><c:out value="${f.value}"/></c:otherwise></c:choose></code>
                    </c:when>
                    <c:when test="${f.input == 'FLAG' || f.input == 'INTERFACE' || f.input == 'CHOICE'}">
                        <select id="${f.id}" name="<c:out value="${f.key}"/>" class="${invalidClass}">
                            <c:forEach var="choice" items="${f.choices}">
                                <option value="<c:out value="${choice.value}"/>" <c:if test="${choice.selected}">selected="selected"</c:if>><c:out value="${choice.label}"/></option>
                            </c:forEach>
                        </select>
                    </c:when>
                    <c:otherwise>
                        <input type="text" id="${f.id}" name="<c:out value="${f.key}"/>" value="<c:out value="${f.value}"/>"
                               size="${f.input == 'NUMBER' ? 8 : 24}" class="${invalidClass}"/>
                    </c:otherwise>
                </c:choose>
                <c:if test="${not empty f.unitKey}"><fmt:message key="${f.unitKey}"/></c:if>
                <c:if test="${not empty f.problem}"><div class="xo-problem" id="problem-${f.id}"><c:out value="${f.problem}"/></div></c:if>
            </td>
            <td>
                <fmt:message key="${f.descriptionKey}"/>
                <c:choose>
                    <c:when test="${f.input == 'READ_ONLY'}"><div class="xo-default"><fmt:message key="xo.settings.read-only"/></div></c:when>
                    <c:when test="${empty f.defaultText}"><div class="xo-default"><fmt:message key="xo.settings.default.empty"/></div></c:when>
                    <c:otherwise><div class="xo-default"><fmt:message key="xo.settings.default.text"><fmt:param value="${f.defaultText}"/></fmt:message></div></c:otherwise>
                </c:choose>
            </td>
        </tr>
        </c:forEach>
        </tbody>
    </table>
    </div>
    <p><input type="submit" id="xo-save" value="<fmt:message key="xo.settings.save"/>"/></p>
</form>
</body>
</html>
