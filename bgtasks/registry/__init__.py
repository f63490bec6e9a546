"""Launch templates, images and tasks: validated models and the services that change them."""
