using System.Text.Json;
using Konduktor.Core.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Konduktor.Functions.Http;

/// <summary>A JSON response written with Konduktor's one set of JSON options; needs no MVC formatters.</summary>
public sealed class JsonReply(object? value, int status, string contentType = "application/json") : IActionResult
{
    public object? Value => value;

    public int Status => status;

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = status;
        if (value is null)
        {
            return;
        }

        response.ContentType = contentType + "; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, value, value.GetType(), KonduktorJson.Options, context.HttpContext.RequestAborted);
    }

    public static JsonReply Ok(object value) => new(value, StatusCodes.Status200OK);

    public static JsonReply Created(object value) => new(value, StatusCodes.Status201Created);
}
