"""Comparing a D-Bus interface as an object exports it with its introspection XML."""
import xml.etree.ElementTree as ET


def interface_members(xml_text, interface):
    """The members of `interface` in introspection XML, as comparable tuples: methods with
    their arguments (name, type, direction), properties (name, type, access), signals with
    their arguments (name, type). Annotations and comments are ignored."""
    root = ET.fromstring(xml_text)
    node = next((i for i in root.iter("interface") if i.get("name") == interface), None)
    if node is None:
        return None

    def args(member, directed):
        return tuple((a.get("name"), a.get("type"), a.get("direction", "in") if directed else None)
                     for a in member.findall("arg"))

    return {
        "methods": sorted((m.get("name"), args(m, True)) for m in node.findall("method")),
        "properties": sorted((p.get("name"), p.get("type"), p.get("access")) for p in node.findall("property")),
        "signals": sorted((s.get("name"), args(s, False)) for s in node.findall("signal")),
    }
