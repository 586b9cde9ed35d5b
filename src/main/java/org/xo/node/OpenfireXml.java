package org.xo.node;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * Edits a server layout's conf/openfire.xml the way Openfire names its entries: property {@code a.b.c} is the
 * element {@code <jive><a><b><c>value</c></b></a></jive>}. Everything else in the file (Openfire's own entries,
 * comments) is kept. Only used while that Openfire is stopped: it rewrites the file itself.
 */
final class OpenfireXml {
    private final Path file;
    private final Document document;

    private OpenfireXml(Path file, Document document) {
        this.file = file;
        this.document = document;
    }

    static OpenfireXml read(Path file) throws IOException {
        try {
            // The JDK's own parser: Openfire 4.2.0's class path brings an old Xerces that lacks setFeature.
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setIgnoringComments(false);
            Document document = factory.newDocumentBuilder().parse(file.toFile());
            dropIndentation(document.getDocumentElement());
            return new OpenfireXml(file, document);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(file + " is not readable XML: " + e.getMessage(), e);
        }
    }

    /** The element's text, or null when there is no such element. */
    String get(String property) {
        Element element = find(property);
        return element == null ? null : element.getTextContent().trim();
    }

    void set(String property, String value) {
        Element element = document.getDocumentElement();
        for (String name : property.split("\\.")) {
            Element child = child(element, name);
            if (child == null) {
                child = document.createElement(name);
                element.appendChild(child);
            }
            element = child;
        }
        element.setTextContent(value);
    }

    /** Removes the property and its sub-properties, and the parents it leaves empty. */
    void remove(String property) {
        Element element = find(property);
        while (element != null && element != document.getDocumentElement()) {
            Node parent = element.getParentNode();
            parent.removeChild(element);
            element = parent.hasChildNodes() ? null : (Element) parent;
        }
    }

    /** Writes the file through a temporary one, so a crash never leaves half a configuration. */
    void write() throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            Transformer transformer = TransformerFactory.newDefaultInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            transformer.setOutputProperty(OutputKeys.INDENT, "yes");
            transformer.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "4");
            out.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            // Node by node (each ends its line): the JDK's serializer puts the comments before the root element on
            // the root's line.
            for (Node n = document.getFirstChild(); n != null; n = n.getNextSibling()) {
                transformer.transform(new DOMSource(n), new StreamResult(out));
            }
        } catch (TransformerException e) {
            throw new IOException("Cannot write " + file + ": " + e.getMessage(), e);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Element find(String property) {
        Element element = document.getDocumentElement();
        for (String name : property.split("\\.")) {
            element = child(element, name);
            if (element == null) {
                return null;
            }
        }
        return element;
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** Whitespace between elements, so the written file is indented once, not once more on every start. */
    private static void dropIndentation(Element element) {
        boolean hasElements = hasElementChild(element);
        List<Node> blanks = new ArrayList<>();
        for (Node n = element.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (hasElements && n.getNodeType() == Node.TEXT_NODE && n.getTextContent().isBlank()) {
                blanks.add(n);
            } else if (n instanceof Element e) {
                dropIndentation(e);
            }
        }
        blanks.forEach(element::removeChild);
    }

    private static boolean hasElementChild(Element element) {
        for (Node n = element.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element) {
                return true;
            }
        }
        return false;
    }
}
