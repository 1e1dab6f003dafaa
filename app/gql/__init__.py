"""The GraphQL adapter (Strawberry): one module per domain, a package when it grows.

Shared modules, which any domain module may import:

- ``context``: the typed ``Context`` (who is calling, ``services`` by name, DataLoaders);
- ``permissions`` and ``directives``: permission classes that print their directive in the SDL;
- ``entity`` and ``viewer``: the bases of the two types every domain extends (``EntityBase``,
  ``ViewerBase``) and the lazy references to the merged types (``EntityRef``, ``ViewerRef``);
- ``relay`` (connections), ``enums`` (``Mode``), ``users`` (``User``), ``totals``, ``headers``
  (``HttpHeader``);
- ``extensions``, ``http``, ``websocket``, ``view``: the transport around the schema.

Domain modules (``auth``, ``audit``, ``tenancy/``, ``api_key/``, ``request_log/``, ``webhook/``)
never import each other (import-linter checks it). Each one defines its types, and classes that
``schema.py`` lists:

- its fields on ``Entity``: a class deriving from ``EntityBase`` with resolvers only;
- its root fields: a ``...Query``, ``...Mutation`` or ``...Subscription`` class.

A new domain is a module or a package; webhooks (``app/gql/webhook/``) looks like::

    @strawberry.type(name="WebhookEndpoint")
    class WebhookEndpointType: ...

    @strawberry.type
    class WebhookEntity(EntityBase):
        @strawberry.field(extensions=[PermissionExtension([HasPermission("webhooks.manage")])])
        async def webhook_endpoints(self, info: Info[Context, Any], ...) -> Connection[...]:
            ctx = info.context
            page = await ctx.services.webhooks.list_endpoints(ctx.require_actor(), self.id, ...)
            return to_connection(page, WebhookEndpointType.from_row)

    @strawberry.type
    class WebhookMutation:
        @strawberry.mutation(extensions=[PermissionExtension([HasPermission("webhooks.manage")])])
        async def create_webhook_endpoint(self, info, input: ...) -> ...: ...

then ``WebhookEntity`` goes into ``ENTITY_PARTS`` and ``WebhookMutation`` into ``Mutation`` in
``schema.py``, the service into ``Services`` (``context.py``, filled in ``view.py``), and the
schema is exported again (``portal export-schema --output schema.graphql``). A field that
returns an entity is annotated ``EntityRef`` and returns ``EntityBase.from_row(row)``.
"""
