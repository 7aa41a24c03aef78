"""Planning: where to open sites (LSCP, MCLP, p-median) and itinerant tours."""
