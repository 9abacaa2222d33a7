"""The pages every hall shares: the hall chooser, a hall's page list, offline API docs and
the one front-end module (/static/hallq.js) that every page is built on."""
