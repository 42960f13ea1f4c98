// Konduktor on Azure: `azd up` provisions this and deploys the Functions app and the board.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('The azd environment name; resource names derive from it.')
param environmentName string

@minLength(1)
@description('The Azure region for every resource.')
param location string

@description('The Entra ID tenant people sign in from.')
param entraTenantId string = tenant().tenantId

@description('The client id of the Konduktor API app registration: the audience of the tokens the API accepts.')
param entraApiClientId string

@description('The client id of the board\'s single-page-app registration (MSAL in the browser); empty: the API registration.')
param entraBoardClientId string = ''

@description('The app role a person needs to use Konduktor at all.')
param requiredRole string = 'Konduktor.User'

@description('The object id of the person running azd (gets Key Vault secret access to set GitHub tokens); empty for none.')
param principalId string = ''

var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, environmentName, location))

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: group
  params: {
    location: location
    tags: tags
    name: 'konduktor-${token}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: group
  params: {
    location: location
    tags: tags
    name: 'stk${token}'
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: group
  params: {
    location: location
    tags: tags
    name: 'kv-${token}'
  }
}

module board 'modules/static-web-app.bicep' = {
  name: 'board'
  scope: group
  params: {
    location: location
    tags: union(tags, { 'azd-service-name': 'web' })
    name: 'swa-konduktor-${token}'
  }
}

module api 'modules/function-app.bicep' = {
  name: 'api'
  scope: group
  params: {
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    name: 'func-konduktor-${token}'
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    keyVaultUri: vault.outputs.uri
    entraTenantId: entraTenantId
    entraApiClientId: entraApiClientId
    requiredRole: requiredRole
    boardUrl: board.outputs.url
  }
}

module access 'modules/access.bicep' = {
  name: 'access'
  scope: group
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    apiPrincipalId: api.outputs.principalId
    deployerPrincipalId: principalId
  }
}

@description('The API the CLI and runners use (konduktor login --url ..., konduktor runner start --url ...).')
output KONDUKTOR_API_URL string = api.outputs.url

@description('The board.')
output KONDUKTOR_BOARD_URL string = board.outputs.url

@description('What the board\'s MSAL sign-in needs (written into the board build by azd).')
output VITE_ENTRA_CLIENT_ID string = empty(entraBoardClientId) ? entraApiClientId : entraBoardClientId
output VITE_ENTRA_TENANT_ID string = entraTenantId
output VITE_API_SCOPE string = 'api://${entraApiClientId}/user_impersonation'
output VITE_API_URL string = api.outputs.url
output AZURE_RESOURCE_GROUP string = group.name
