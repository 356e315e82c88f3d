// The SDK versions are pinned for Node 20 (the development machines); Lambda runs Node 22, so the SDK's
// upgrade notice is noise on the local stack. Imported first, before any SDK client exists.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
