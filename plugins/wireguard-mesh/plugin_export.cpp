#include "mesh_plugin.hpp"

WEFT_PLUGIN(weft::mesh::MeshPlugin)
