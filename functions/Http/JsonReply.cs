using System.Text.Json;
using Konduktor.Core.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Konduktor.Functions.Http;

/// <summary>A JSON response written with Konduktor's one set of JSON options; needs no MVC formatters.</summary>
public sealed class JsonReply(object? value, int status, string contentType = "application/json") : IActionResult
{
    private Konduktor.Core.Sessions.SecretMask? _mask;

    public object? Value => value;

    public int Status => status;

    /// <summary>Holds only what Konduktor made (a cursor, a count): nothing an agent could have written, so nothing to mask.</summary>
    public bool KonduktorsOwn { get; private init; }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = status;
        if (value is null)
        {
            return;
        }

        response.ContentType = contentType + "; charset=utf-8";
        if (_mask is { } mask)
        {
            await response.WriteAsync(mask.Apply(JsonSerializer.Serialize(value, KonduktorJson.Options.GetTypeInfo(value.GetType()))), context.HttpContext.RequestAborted);
            return;
        }

        await JsonSerializer.SerializeAsync(response.Body, value, KonduktorJson.Options.GetTypeInfo(value.GetType()), context.HttpContext.RequestAborted);
    }

    /// <summary>The same reply with these secrets masked as <c>***</c>.</summary>
    public JsonReply Masked(Konduktor.Core.Sessions.SecretMask mask) => new(value, status, contentType) { _mask = mask };

    public static JsonReply Ok(object value) => new(value, StatusCodes.Status200OK);

    /// <summary>A reply of Konduktor's own making, sent without reading the workspace's secrets to mask it.</summary>
    public static JsonReply Own(object value) => new(value, StatusCodes.Status200OK) { KonduktorsOwn = true };
}

/// <summary>A stream copied to the response as it is (a transcript, say); needs no MVC executors either.</summary>
public sealed class StreamReply(Stream content, string contentType) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        await using (content)
        {
            var response = context.HttpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = contentType;
            await content.CopyToAsync(response.Body, context.HttpContext.RequestAborted);
        }
    }
}
