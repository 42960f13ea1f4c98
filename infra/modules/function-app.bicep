// The API: the Functions app (.NET isolated) on Flex Consumption, with its own identity for storage and secrets.
param location string
param tags object
param name string
param storageAccountName string
param deploymentContainerName string
param appInsightsConnectionString string
param keyVaultUri string
param entraTenantId string
param entraApiClientId string
param requiredRole string

@description('The board\'s origin: the only one allowed to call the API from a browser.')
param boardUrl string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${name}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      cors: { allowedOrigins: [ boardUrl ], supportCredentials: false }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      AzureWebJobsStorage__accountName: storage.name
      AzureWebJobsStorage__credential: 'managedidentity'
      Konduktor__Storage__AccountName: storage.name
      Konduktor__KeyVaultUri: keyVaultUri
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
      Konduktor__Auth__Entra__Instance: environment().authentication.loginEndpoint
      Konduktor__Auth__Entra__TenantId: entraTenantId
      Konduktor__Auth__Entra__ClientId: entraApiClientId
      Konduktor__Auth__Entra__Audience: 'api://${entraApiClientId}'
      Konduktor__Auth__RequiredRole: requiredRole
    }
  }
}

output url string = 'https://${app.properties.defaultHostName}'
output principalId string = app.identity.principalId
