"""The géoportail's routers, one per domain; :func:`proximite.web.app.create_app` only
assembles them (communes, services, map layers, exports, pages)."""
